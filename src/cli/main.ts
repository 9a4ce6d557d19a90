import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { CLI_VARIABLES, type Invocation } from "./invocation.js";

/**
 * The `latchkey` command. Run by bin/latchkey.cjs (built, or from source through tsx). Exits 0 on
 * success, 1 on any failure, 2 on bad usage. This module loads nothing but Node's own: `--help`
 * answers at once, and each command loads what it needs when it runs.
 */

const USAGE = `Usage: latchkey <command> [options]

Commands:
  serve                         Run the API server (migrates the database first unless database.migrate is false)
  migrate                       Apply pending database migrations and list them
  check [--production]          Validate the options as serve does and print a summary; with --production,
                                also list what is unfit for production (exit 1 if anything is)
  users create [--username U] [--email E] [--verified] [--no-password]
                                Create a user; the password is read from standard input, or asked for
  users list                    List the users
  users show USER               Show a user, its addresses, authenticators and sessions
  users deactivate USER         Deactivate a user (its sessions stop working at once); users activate undoes it
  users set-password USER [--no-password]
                                Set a user's password (read from standard input, or asked for); ends its sessions
  users mfa-reset USER          Remove a user's TOTP, recovery codes and security keys, and end its sessions
                                (for a user who lost every factor: prove who they are first)
  sessions revoke --user USER   End every session of a user
  sessions revoke --all         End every session of every user
  openapi [--yaml]              Print the OpenAPI 3.1 document of the API the options serve (JSON, or YAML)

USER is a user id, an email address or a username.

Options:
  -c, --config FILE   JSON file of options (same shape as createLatchkey's; allauth's setting names, such as
                      ACCOUNT_LOGIN_METHODS, may stand beside them); default $${CLI_VARIABLES.config}
      --host HOST     Address to bind (serve); default $${CLI_VARIABLES.host} or 127.0.0.1
  -p, --port PORT     Port to listen on (serve); default $${CLI_VARIABLES.port}, $PORT or 8000
  -w, --workers N     Worker processes serving the port (serve); default $${CLI_VARIABLES.workers} or one per core
  -h, --help          Show this help
  -v, --version       Show the version

Every option can also be set with a LATCHKEY_<PATH> variable, e.g. LATCHKEY_ACCOUNT_LOGIN_METHODS=email,username
or LATCHKEY_RATE_LIMITS=false; DATABASE_URL sets database.url. Variables override the file.
Without any configuration the server runs on the SQLite file ./latchkey.sqlite3 and prints mail to the console.
Set ${CLI_VARIABLES.debug}=1 to see stack traces.`;

const OPTIONS = {
  config: { type: "string", short: "c" },
  host: { type: "string" },
  port: { type: "string", short: "p" },
  workers: { type: "string", short: "w" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
  production: { type: "boolean" },
  username: { type: "string" },
  email: { type: "string" },
  verified: { type: "boolean" },
  "no-password": { type: "boolean" },
  user: { type: "string" },
  all: { type: "boolean" },
  yaml: { type: "boolean" },
} as const;

type OptionName = keyof typeof OPTIONS;

/** Each command: how many arguments it takes after its name, and its own options besides --config. */
const COMMANDS: Record<string, { args: 0 | 1; options: readonly OptionName[] }> = {
  serve: { args: 0, options: ["host", "port", "workers"] },
  migrate: { args: 0, options: [] },
  check: { args: 0, options: ["production"] },
  "users create": { args: 0, options: ["username", "email", "verified", "no-password"] },
  "users list": { args: 0, options: [] },
  "users show": { args: 1, options: [] },
  "users deactivate": { args: 1, options: [] },
  "users activate": { args: 1, options: [] },
  "users set-password": { args: 1, options: ["no-password"] },
  "users mfa-reset": { args: 1, options: [] },
  "sessions revoke": { args: 0, options: ["user", "all"] },
  openapi: { args: 0, options: ["yaml"] },
};

class UsageError extends Error {}

function parseInvocation(argv: string[]): Invocation | "help" | "version" {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.version) return "version";
  if (values.help || positionals.length === 0 || positionals[0] === "help") return "help";
  const group = positionals[0] === "users" || positionals[0] === "sessions";
  const command = group ? positionals.slice(0, 2).join(" ") : positionals[0]!;
  const spec = COMMANDS[command];
  if (!spec) throw new UsageError(`unknown command "${command}"`);
  const rest = positionals.slice(group ? 2 : 1);
  if (rest.length < spec.args)
    throw new UsageError(`${command} needs a USER (an id, an email or a username)`);
  if (rest.length > spec.args) throw new UsageError(`unexpected argument "${rest[spec.args]}"`);
  for (const name of Object.keys(values) as OptionName[]) {
    if (name !== "config" && !spec.options.includes(name)) {
      throw new UsageError(`--${name} is not an option of ${command}`);
    }
  }
  const { "no-password": noPassword, help: _help, version: _version, ...named } = values;
  return { command, argument: rest[0], ...named, ...(noPassword === undefined ? {} : { noPassword }) };
}

function parse(argv: string[]) {
  return parseArgs({ args: argv, allowPositionals: true, strict: true, options: OPTIONS });
}

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let invocation: ReturnType<typeof parseInvocation>;
  try {
    invocation = parseInvocation(argv);
  } catch (err) {
    console.error(`latchkey: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (invocation === "version") {
    console.log(version());
    return 0;
  }
  if (invocation === "help") {
    console.log(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  const { run } = await import("./commands.js");
  return run(invocation, env);
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

main(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`latchkey: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
