import { MissingPackageError } from "../core/peer.js";
import type { Latchkey, LatchkeyDependencies } from "../latchkey.js";
import { OptionsError } from "../options/resolve.js";
import type { LatchkeyOptions } from "../options/schema.js";
import { CliError, redactUrl } from "./config.js";

/**
 * createLatchkey, loaded on demand so that `--help` starts quickly. It opens nothing: its errors
 * are the options' (OptionsError, naming the option).
 */
export async function open(options: LatchkeyOptions, deps: LatchkeyDependencies = {}): Promise<Latchkey> {
  const { createLatchkey } = await import("../latchkey.js");
  return createLatchkey(options, deps);
}

/** Waits for Latchkey's start (connected, migrated), with a failure as one line naming the database. */
export async function startOrExplain(latchkey: Latchkey): Promise<void> {
  try {
    await latchkey.ready();
  } catch (err) {
    throw new CliError(
      `cannot start with the database ${redactUrl(latchkey.options.database.url)}: ${describeError(err)}`,
    );
  }
}

/** One line saying what went wrong. */
export function describeError(err: unknown): string {
  if (err instanceof OptionsError || err instanceof CliError || err instanceof MissingPackageError) {
    return err.message;
  }
  if (err instanceof AggregateError && err.errors.length > 0) {
    // Node's happy-eyeballs connect: one error per address tried.
    return [...new Set(err.errors.map((e) => describeError(e)))].join("; ");
  }
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return err.message || code || err.name;
  }
  return String(err);
}
