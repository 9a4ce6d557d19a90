import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { RunningServer } from "../adapters/node.js";
import type { Latchkey } from "../latchkey.js";
import { OptionsError } from "../options/resolve.js";
import type { LatchkeyOptions } from "../options/schema.js";
import { DEFAULT_DATABASE_URL } from "../options/schema.js";
import { CLI_VARIABLES, CliError, loadCliOptions, redactUrl, summarize } from "./config.js";

/**
 * The `latchkey` command: serve | migrate | check. Run by bin/latchkey.js (built) or
 * `tsx src/cli/main.ts` (source). Exits 0 on success, 1 on any failure, 2 on bad usage.
 */

const USAGE = `Usage: latchkey <command> [options]

Commands:
  serve      Run the API server (migrates the database first unless database.migrate is false)
  migrate    Apply pending database migrations and list them
  check      Validate the options and print a summary

Options:
  -c, --config FILE   JSON file of options (same shape as createLatchkey's); default $${CLI_VARIABLES.config}
      --host HOST     Address to bind (serve); default $${CLI_VARIABLES.host} or 127.0.0.1
  -p, --port PORT     Port to listen on (serve); default $${CLI_VARIABLES.port}, $PORT or 8000
  -h, --help          Show this help
  -v, --version       Show the version

Every option can also be set with a LATCHKEY_<PATH> variable, e.g. LATCHKEY_ACCOUNT_LOGIN_METHODS=email,username
or LATCHKEY_RATE_LIMITS=false; DATABASE_URL sets database.url. Variables override the file.
Without any configuration the server runs on the SQLite file ./latchkey.sqlite3 and prints mail to the console.
Set ${CLI_VARIABLES.debug}=1 to see stack traces.`;

/** Sessions past their expiry are deleted this often (they are already refused when read). */
const PURGE_INTERVAL_MS = 10 * 60_000;

class UsageError extends Error {}

interface Invocation {
  command: string | undefined;
  configFile: string | undefined;
  host: string | undefined;
  port: string | undefined;
  help: boolean;
  version: boolean;
}

function parseInvocation(argv: string[]): Invocation {
  let parsed: ReturnType<typeof parseArgsStrict>;
  try {
    parsed = parseArgsStrict(argv);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  return {
    command: positionals[0],
    configFile: values.config,
    host: values.host,
    port: values.port,
    help: values.help ?? false,
    version: values.version ?? false,
  };
}

function parseArgsStrict(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: "string", short: "c" },
      host: { type: "string" },
      port: { type: "string", short: "p" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
    },
  });
}

async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let invocation: Invocation;
  try {
    invocation = parseInvocation(argv);
  } catch (err) {
    console.error(`latchkey: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (invocation.version) {
    console.log(version());
    return 0;
  }
  if (invocation.help || invocation.command === undefined || invocation.command === "help") {
    console.log(USAGE);
    return invocation.command === undefined && !invocation.help ? 2 : 0;
  }
  const configFile = invocation.configFile ?? (env[CLI_VARIABLES.config] || undefined);
  try {
    switch (invocation.command) {
      case "check":
        return await check(await loadCliOptions(configFile, env));
      case "migrate":
        return await migrate(await loadCliOptions(configFile, env));
      case "serve": {
        const port = parsePort(invocation.port ?? env[CLI_VARIABLES.port] ?? env.PORT);
        const host = invocation.host ?? (env[CLI_VARIABLES.host] || "127.0.0.1");
        return await serveCommand(await loadCliOptions(configFile, env), host, port);
      }
      default:
        console.error(`latchkey: unknown command "${invocation.command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    console.error(`latchkey: ${describeError(err)}`);
    if (env[CLI_VARIABLES.debug] === "1" && err instanceof Error && err.stack) console.error(err.stack);
    return 1;
  }
}

async function check(input: LatchkeyOptions): Promise<number> {
  const { resolveOptions } = await import("../latchkey.js");
  const options = resolveOptions(input);
  console.log(["ok", ...summarize(options)].join("\n"));
  return 0;
}

async function migrate(input: LatchkeyOptions): Promise<number> {
  // Startup migration off, so that migrate() itself applies (and reports) them; no rate-limit store needed.
  const latchkey = await open({
    ...input,
    database: { ...input.database, migrate: false },
    rateLimits: false,
  });
  try {
    await startOrExplain(latchkey);
    let applied: string[];
    try {
      applied = await latchkey.migrate();
    } catch (err) {
      throw new CliError(`migration failed: ${describeError(err)}`);
    }
    if (applied.length === 0) console.log("No migrations to apply.");
    else for (const name of applied) console.log(`Applied ${name}`);
    return 0;
  } finally {
    await latchkey.close().catch(() => {});
  }
}

async function serveCommand(input: LatchkeyOptions, host: string, port: number): Promise<number> {
  const latchkey = await open(input);
  const { serve } = await import("../adapters/node.js");
  const logger = latchkey.runtime.logger;
  let running: RunningServer;
  try {
    await startOrExplain(latchkey);
    running = await serve(latchkey, { host, port });
  } catch (err) {
    await latchkey.close().catch(() => {});
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new CliError(`cannot listen on ${host}:${port}: the address is already in use`);
    }
    if (
      (err as NodeJS.ErrnoException).code === "EADDRNOTAVAIL" ||
      (err as NodeJS.ErrnoException).code === "ENOTFOUND"
    ) {
      throw new CliError(`cannot listen on ${host}:${port}: no such local address`);
    }
    throw err;
  }

  const o = latchkey.options;
  const url = displayUrl(running.url);
  console.log(`Latchkey listening on ${url} (API at ${url}${o.basePath}/{browser,app}/v1)`);
  console.log(`  database ${redactUrl(o.database.url)}; mail: ${o.mail.transport}. Stop with Ctrl+C.`);

  const purge = () =>
    latchkey
      .purgeExpired()
      .then((count) => {
        if (count.sessions + count.tokens + count.codes > 0) {
          logger.info(count, "expired sessions, keys and codes purged");
        }
      })
      .catch((err: unknown) => logger.warn({ err }, "purging expired sessions and keys failed"));
  void purge();
  const purgeTimer = setInterval(purge, PURGE_INTERVAL_MS);
  purgeTimer.unref();

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        // A second Ctrl+C: stop waiting for requests in flight.
        resolve(1);
        return;
      }
      stopping = true;
      logger.info({ signal }, "shutting down");
      clearInterval(purgeTimer);
      running
        .close()
        .then(() => latchkey.close())
        .then(
          () => resolve(0),
          (err: unknown) => {
            console.error(`latchkey: shutdown failed: ${describeError(err)}`);
            resolve(1);
          },
        );
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

/**
 * createLatchkey, with the usual start-up failures (bad options, a SQLite path that cannot be
 * opened) as one line. Loaded on demand so that `check` and `--help` start quickly.
 */
async function open(options: LatchkeyOptions): Promise<Latchkey> {
  const { createLatchkey } = await import("../latchkey.js");
  try {
    return createLatchkey(options);
  } catch (err) {
    if (err instanceof OptionsError) throw err;
    throw new CliError(`cannot open the database ${databaseUrlOf(options)}: ${describeError(err)}`);
  }
}

async function startOrExplain(latchkey: Latchkey): Promise<void> {
  try {
    await latchkey.ready();
  } catch (err) {
    throw new CliError(
      `cannot start with the database ${redactUrl(latchkey.options.database.url)}: ${describeError(err)}`,
    );
  }
}

function databaseUrlOf(options: LatchkeyOptions): string {
  return redactUrl(options.database?.url ?? DEFAULT_DATABASE_URL);
}

function parsePort(value: string | undefined): number {
  if (value === undefined || value === "") return 8000;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CliError(`the port must be a whole number from 0 to 65535, not "${value}"`);
  }
  return port;
}

/** Loopback addresses are shown as localhost: the browser frontend usually runs on localhost too, and cookies follow the host name. */
function displayUrl(url: string): string {
  return url.replace(/^http:\/\/(127\.0\.0\.1|\[::1\])(?=:)/, "http://localhost");
}

/** One line saying what went wrong. */
function describeError(err: unknown): string {
  if (err instanceof OptionsError || err instanceof CliError) return err.message;
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

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version?: string;
    };
    return pkg.version ?? "unknown";
  } catch {
    return "unknown";
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`latchkey: ${describeError(err)}`);
    process.exit(1);
  },
);
