import type { RunningServer } from "../adapters/node.js";
import { isInstalled, MissingPackageError, type OptionalPackage } from "../core/peer.js";
import type { Latchkey } from "../latchkey.js";
import {
  attributeToAllauthSettings,
  describeAllauthSettings,
  type TranslatedSetting,
} from "../options/allauth-settings.js";
import type { LatchkeyOptions, ResolvedOptions } from "../options/schema.js";
import { CliError, loadCliConfig, redactUrl, summarize } from "./config.js";
import { CLI_VARIABLES, type Invocation } from "./invocation.js";
import { describeError, open, startOrExplain } from "./open.js";
import { productionProblems } from "./production.js";
import { announce, isWorker, parseWorkers, runPrimary, workerDependencies } from "./workers.js";

/** Sessions past their expiry are deleted this often (they are already refused when read). */
const PURGE_INTERVAL_MS = 10 * 60_000;
/**
 * A stop signal repeated within this time is the first one delivered twice (npm passes the
 * terminal's Ctrl+C on to the server, which got it from the terminal too); a later one stops
 * waiting for requests in flight.
 */
const REPEATED_SIGNAL_MS = 1000;

/**
 * Runs a parsed command line; the exit code. `stdin` is where the users commands read passwords
 * (the process's own, unless a test hands another).
 */
export async function run(
  invocation: Invocation,
  env: NodeJS.ProcessEnv,
  stdin: NodeJS.ReadStream = process.stdin,
): Promise<number> {
  const configFile = invocation.config ?? (env[CLI_VARIABLES.config] || undefined);
  // The config file's allauth settings, once read: errors on the options they set name them.
  let allauth: TranslatedSetting[] = [];
  try {
    const options = async () => {
      const loaded = await loadCliConfig(configFile, env);
      allauth = loaded.allauth;
      return loaded.options;
    };
    switch (invocation.command) {
      case "check": {
        const input = await options();
        return await check(input, allauth, invocation.production ?? false);
      }
      case "migrate":
        return await migrate(await options());
      case "openapi":
        return await printOpenApi(await options(), invocation.yaml ?? false);
      case "serve": {
        const port = parsePort(invocation.port ?? env[CLI_VARIABLES.port] ?? env.PORT);
        const host = invocation.host ?? (env[CLI_VARIABLES.host] || "127.0.0.1");
        const workers = parseWorkers(invocation.workers ?? env[CLI_VARIABLES.workers]);
        if (workers > 1 && !isWorker()) return await runPrimary(workers);
        return await serveCommand(await options(), host, port, env);
      }
      default: {
        const { runAdministration } = await import("./users.js");
        return await runAdministration(invocation, await options(), stdin);
      }
    }
  } catch (err) {
    console.error(`latchkey: ${describeError(attributeToAllauthSettings(err, allauth))}`);
    if (env[CLI_VARIABLES.debug] === "1" && err instanceof Error && err.stack) console.error(err.stack);
    return 1;
  }
}

/**
 * Validates the options exactly as `serve` does: the same createLatchkey (options, their checks,
 * the JWT key, the mail transport), which opens nothing until it starts, and the optional packages
 * the options need. Connects to nothing. Prints what each allauth setting of the config file
 * became, then the summary.
 */
async function check(
  input: LatchkeyOptions,
  allauth: readonly TranslatedSetting[],
  production: boolean,
): Promise<number> {
  const latchkey = await open(input);
  await latchkey.close();
  const o = latchkey.options;
  const missing = requiredPackages(o).filter((name) => !isInstalled(name));
  if (missing.length > 0) throw new MissingPackageError(missing[0]!);
  const translated = describeAllauthSettings(allauth).map((line) => `  ${line}`);
  if (translated.length > 0) console.log(["allauth settings:", ...translated].join("\n"));
  console.log(["ok", ...summarize(o)].join("\n"));
  if (!production) return 0;
  const problems = productionProblems(o, process.cwd());
  if (problems.length === 0) {
    console.log("production: nothing found");
    return 0;
  }
  console.log(
    [
      `production: ${problems.length} problem${problems.length === 1 ? "" : "s"}`,
      ...problems.map((p) => `  - ${p}`),
    ].join("\n"),
  );
  return 1;
}

/** The optional packages the options load while starting. */
function requiredPackages(o: ResolvedOptions): OptionalPackage[] {
  const needed: OptionalPackage[] = [];
  if (!o.database.url.startsWith("sqlite:")) needed.push("pg");
  if (o.rateLimits !== false && o.rateLimits.store === "redis") needed.push("ioredis");
  if (o.mail.transport !== "console") needed.push("nodemailer");
  return needed;
}

/** Prints the OpenAPI document of the options, as the server serves it; connects to nothing. */
async function printOpenApi(input: LatchkeyOptions, yaml: boolean): Promise<number> {
  const latchkey = await open(input);
  await latchkey.close();
  const document = latchkey.openApiDocument();
  if (yaml) {
    const { toYaml } = await import("../openapi/yaml.js");
    // console.log ends the text with the newline it already ends with.
    console.log(toYaml(document).slice(0, -1));
  } else {
    console.log(JSON.stringify(document, null, 2));
  }
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

async function serveCommand(
  input: LatchkeyOptions,
  host: string,
  port: number,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const latchkey = await open(input, workerDependencies());
  const { serve } = await import("../adapters/node.js");
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

  // Stopping is set up before anything is printed: whoever waits for "listening" may signal at once.
  const stopped = stopOnSignals(running, latchkey);
  const o = latchkey.options;
  const url = displayUrl(running.url);
  announce([
    `Latchkey listening on ${url} (API at ${url}${o.basePath}/{browser,app}/v1)`,
    `  database ${redactUrl(o.database.url)}; mail: ${o.mail.transport}. Stop with Ctrl+C.`,
  ]);
  if (env.NODE_ENV === "production") {
    for (const problem of productionProblems(o, process.cwd())) {
      latchkey.runtime.logger.warn({ problem }, `NODE_ENV is production, but ${problem}`);
    }
  }
  return stopped;
}

/**
 * Runs the server until SIGINT (Ctrl+C) or SIGTERM, purging expired rows meanwhile; then closes
 * it, letting requests in flight finish, and Latchkey. Resolves to the exit code.
 */
function stopOnSignals(running: RunningServer, latchkey: Latchkey): Promise<number> {
  const logger = latchkey.runtime.logger;
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
    let stoppingSince: number | null = null;
    const stop = (reason: string) => {
      if (stoppingSince !== null) {
        if (Date.now() - stoppingSince >= REPEATED_SIGNAL_MS) resolve(1);
        return;
      }
      stoppingSince = Date.now();
      logger.info({ reason }, "shutting down");
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
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGTERM", () => stop("SIGTERM"));
  });
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
