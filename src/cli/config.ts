import { readFile } from "node:fs/promises";
import { fromAllauthSettings, markOverridden, type TranslatedSetting } from "../options/allauth-settings.js";
import { applyEnvironment } from "../options/env.js";
import type { LatchkeyOptions, ResolvedOptions } from "../options/schema.js";
import { CLI_VARIABLES } from "./invocation.js";

const CLI_VARIABLE_NAMES: ReadonlySet<string> = new Set(Object.values(CLI_VARIABLES));

/** A failure the CLI reports as one line (exit 1), without a stack trace. */
export class CliError extends Error {
  override name = "CliError";
}

/** The options the CLI runs with, and the allauth settings of the config file they came from. */
export interface CliConfig {
  options: LatchkeyOptions;
  /** What each allauth setting of the file became (those a LATCHKEY_* variable replaced are marked). */
  allauth: TranslatedSetting[];
}

/**
 * The options the CLI runs with: the JSON file (same shape as createLatchkey's options, with
 * allauth's settings allowed beside Latchkey's own keys), then `DATABASE_URL` for database.url,
 * then every `LATCHKEY_<PATH>` variable (so the specific LATCHKEY_DATABASE_URL wins over the
 * generic DATABASE_URL). Not yet validated: createLatchkey and resolveOptions do that, naming the
 * option in an OptionsError.
 */
export async function loadCliConfig(
  configFile: string | undefined,
  env: Record<string, string | undefined>,
): Promise<CliConfig> {
  const { options: fromFile, settings } = fromAllauthSettings(
    configFile === undefined ? {} : await readConfigFile(configFile),
  );
  const options = fromFile as Record<string, unknown>;
  const databaseUrl = env.DATABASE_URL;
  if (databaseUrl) {
    const database = options.database;
    options.database = {
      ...(typeof database === "object" && database !== null ? database : {}),
      url: databaseUrl,
    };
  }
  const overrides: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith("LATCHKEY_") && !CLI_VARIABLE_NAMES.has(name)) overrides[name] = value;
  }
  const { optionsSchema } = await import("../latchkey.js");
  const final = applyEnvironment(options, overrides, optionsSchema());
  return { options: final as LatchkeyOptions, allauth: markOverridden(settings, final) };
}

/** The options alone (see loadCliConfig). */
export async function loadCliOptions(
  configFile: string | undefined,
  env: Record<string, string | undefined>,
): Promise<LatchkeyOptions> {
  return (await loadCliConfig(configFile, env)).options;
}

async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : String(err);
    throw new CliError(`cannot read the config file ${path}: ${reason}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new CliError(`the config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new CliError(`the config file ${path} must hold a JSON object of options`);
  }
  return parsed as Record<string, unknown>;
}

/** A URL with its password replaced, for printing. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/i, "$1***@");
}

/** What `latchkey check` prints under "ok": the choices that matter most, one per line. */
export function summarize(o: ResolvedOptions): string[] {
  const rows: [string, string][] = [
    [
      "database",
      `${redactUrl(o.database.url)} (tables ${o.database.tablePrefix}*, migrate on start: ${o.database.migrate})`,
    ],
    ["api", `${o.basePath || "/"} (clients: ${o.clients.join(", ")})`],
    ["login methods", o.account.loginMethods.join(", ")],
    ["signup fields", o.account.signupFields.join(", ")],
    ["email verification", o.account.emailVerification],
    ["app tokens", o.tokens.strategy],
    ["mfa", o.mfa.enabled ? o.mfa.supportedTypes.join(", ") : "off"],
    [
      "rate limits",
      o.rateLimits === false
        ? "off"
        : o.rateLimits.store === "redis"
          ? `redis (${redactUrl(o.rateLimits.redisUrl)})`
          : o.rateLimits.store,
    ],
    [
      "mail",
      o.mail.transport === "smtp"
        ? `smtp ${o.mail.smtpHost}:${o.mail.smtpPort}`
        : o.mail.transport === "file"
          ? `file (${o.mail.fileDirectory})`
          : "console",
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
}
