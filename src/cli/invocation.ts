/** What the command line says, as the commands read it (main.ts parses it; nothing here loads anything). */

/** Environment variables the CLI itself reads; they are not options (config.ts keeps them apart). */
export const CLI_VARIABLES = {
  /** Path of the JSON options file, when --config is not given. */
  config: "LATCHKEY_CONFIG",
  /** Address `serve` binds, when --host is not given. */
  host: "LATCHKEY_HOST",
  /** Port `serve` listens on, when --port is not given (then PORT, then 8000). */
  port: "LATCHKEY_PORT",
  /** How many worker processes `serve` runs, when --workers is not given (default one per core). */
  workers: "LATCHKEY_WORKERS",
  /** "1" prints stack traces with errors. */
  debug: "LATCHKEY_DEBUG",
} as const;

/** A command line, checked against the command it names. */
export interface Invocation {
  /** "serve", "users create"… */
  command: string;
  /** The USER argument of the commands that take one. */
  argument: string | undefined;
  config?: string;
  host?: string;
  port?: string;
  workers?: string;
  production?: boolean;
  username?: string;
  email?: string;
  verified?: boolean;
  noPassword?: boolean;
  user?: string;
  all?: boolean;
  yaml?: boolean;
}
