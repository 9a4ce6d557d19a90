import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { afterAll, beforeAll, expect, vi } from "vitest";
import { run as runCommand } from "../../src/cli/commands.js";
import type { Invocation } from "../../src/cli/invocation.js";
import { createLatchkey, type Latchkey } from "../../src/latchkey.js";
import { FAST_HASHING } from "../helpers/latchkey.js";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/**
 * The command as `npx latchkey` and `npm start` run it: the build while it is current (as after
 * `npm install`), the source through tsx otherwise.
 */
export const BIN = join(ROOT, "bin/latchkey.cjs");

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment without LATCHKEY_*, DATABASE_URL, PORT and NODE_ENV from the outer shell (the CLI would read them). */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (
      !k.startsWith("LATCHKEY_") &&
      !k.startsWith("npm_") &&
      !["DATABASE_URL", "PORT", "NODE_ENV"].includes(k)
    ) {
      env[k] = v;
    }
  }
  return { ...env, ...extra };
}

/** The CLI, in `cwd`; standard input closed unless `input` is given. */
export function start(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
  input?: string,
): ChildProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: cleanEnv(env),
    stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  if (input !== undefined) child.stdin!.end(input);
  return child;
}

/** Output and exit code of a child process. */
export function finished(child: ChildProcess): Promise<Run> {
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => {
    stdout += d;
  });
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d;
  });
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

export function run(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
  input?: string,
): Promise<Run> {
  return finished(start(args, cwd, env, input));
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts connections on the port. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Resolves once the child printed `text` on standard output; rejects if it exits first. */
export function printed(child: ChildProcess, text: string): Promise<string> {
  let stdout = "";
  let stderr = "";
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      stdout += d;
      if (stdout.includes(text)) resolve(stdout);
    });
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d;
    });
    child.once("close", () => reject(new Error(`exited before printing "${text}":\n${stdout}\n${stderr}`)));
  });
}

/** One line on stderr, no stack trace. */
export function expectOneLineError(result: Run, ...fragments: string[]): void {
  expect(result.code, result.stdout).toBe(1);
  const lines = result.stderr.trim().split("\n");
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^latchkey: /);
  for (const fragment of fragments) expect(lines[0]).toContain(fragment);
}

/**
 * A command run in this process, as main.ts would run its parsed command line (no process to
 * start, the modules already loaded): its exit code and what it printed. `input` is its standard
 * input.
 */
export async function runHere(
  invocation: Omit<Invocation, "argument"> & { argument?: string },
  env: Record<string, string> = {},
  input = "",
): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const log = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
    stdout += `${args.join(" ")}\n`;
  });
  const error = vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
    stderr += `${args.join(" ")}\n`;
  });
  try {
    const stdin = Readable.from([input]) as unknown as NodeJS.ReadStream;
    const code = await runCommand({ argument: undefined, ...invocation }, env, stdin);
    return { code, stdout, stderr };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

export interface CommandDatabase {
  /** The directory the database is in, and the commands run in. */
  dir: string;
  /** The environment that points the commands at the database, with fast password hashing. */
  env: Record<string, string>;
  /** The API on the same database, as the users the commands manage see it. */
  api: Latchkey;
}

/**
 * A SQLite database in a fresh temporary directory for a describe block (`prefix` names the
 * directory), ready before the block's own beforeAll hooks run; closed and removed after it.
 */
export function useCommandDatabase(prefix: string): CommandDatabase {
  const db = {} as CommandDatabase;
  beforeAll(async () => {
    db.dir = mkdtempSync(join(tmpdir(), prefix));
    const url = `sqlite:${join(db.dir, "db.sqlite3")}`;
    db.env = {
      DATABASE_URL: url,
      LATCHKEY_PASSWORD_HASHING_MEMORY_COST: "1024",
      LATCHKEY_PASSWORD_HASHING_TIME_COST: "1",
    };
    db.api = createLatchkey(
      { database: { url }, rateLimits: false, password: { hashing: FAST_HASHING } },
      { logger: pino({ level: "silent" }) },
    );
    await db.api.ready();
  });
  afterAll(async () => {
    await db.api?.close();
    if (db.dir) rmSync(db.dir, { recursive: true, force: true });
  });
  return db;
}
