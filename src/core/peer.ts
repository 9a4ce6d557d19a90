/**
 * Optional peer dependencies: the PostgreSQL driver (pg), the Redis client (ioredis) and the
 * mailer (nodemailer) are installed only by the applications that use them, and loaded when the
 * options ask for them (once, while Latchkey starts), never on the request path.
 */
import { createRequire } from "node:module";

/** The optional packages, each with the options that need it. */
export const OPTIONAL_PACKAGES = {
  pg: 'a PostgreSQL database.url or rateLimits.store "postgres"',
  ioredis: 'rateLimits.store "redis"',
  nodemailer: 'mail.transport "smtp" or "file"',
} as const;

export type OptionalPackage = keyof typeof OPTIONAL_PACKAGES;

/** An optional package the options need is not installed. */
export class MissingPackageError extends Error {
  constructor(
    /** The npm package to install. */
    readonly packageName: OptionalPackage,
  ) {
    super(
      `the package ${packageName} is not installed (${OPTIONAL_PACKAGES[packageName]} needs it): npm install ${packageName}`,
    );
    this.name = "MissingPackageError";
  }
}

/**
 * Loads an optional package through `load` (a literal `() => import("pg")`, so that bundlers and
 * type checkers see the specifier). Throws MissingPackageError when the package itself is missing;
 * any other failure (a broken install, a missing dependency of the package) is rethrown as it is.
 */
export async function importOptional<T>(packageName: OptionalPackage, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if (isMissing(err, packageName)) throw new MissingPackageError(packageName);
    throw err;
  }
}

/** Whether the package can be found from Latchkey's own files (what `latchkey check` asks before `serve`). */
export function isInstalled(packageName: OptionalPackage): boolean {
  try {
    // Each of them can be required as well as imported; require.resolve works under every loader.
    createRequire(import.meta.url).resolve(packageName);
    return true;
  } catch {
    return false;
  }
}

function isMissing(err: unknown, packageName: string): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (e?.code !== "ERR_MODULE_NOT_FOUND" && e?.code !== "MODULE_NOT_FOUND") return false;
  // Node names the package that could not be found: `Cannot find package 'pg' imported from …`.
  return typeof e.message === "string" && e.message.includes(`'${packageName}'`);
}
