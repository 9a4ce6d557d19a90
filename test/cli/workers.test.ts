import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { BIN, cleanEnv, freePort, listening, printed, ROOT } from "./support.js";

/**
 * `latchkey serve --workers 2`: two processes behind one port (node:cluster). Each request below
 * opens a connection of its own, which the primary hands to the workers in turn, so requests are
 * spread over both.
 */
describe("serve --workers", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "latchkey-workers-"));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  interface Cluster {
    primary: ChildProcess;
    port: number;
    pids: number[];
    stderr(): string;
  }

  /** Starts the command in a process group of its own, killed whole if the test fails. */
  async function startCluster(name: string, env: Record<string, string> = {}): Promise<Cluster> {
    const port = await freePort();
    const primary = spawn(process.execPath, [BIN, "serve", "--port", String(port), "--workers", "2"], {
      cwd: ROOT,
      env: cleanEnv({
        DATABASE_URL: `sqlite:${join(dir, `${name}.sqlite3`)}`,
        LATCHKEY_LOG_LEVEL: "warn",
        ...env,
      }),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stderr = "";
    primary.stderr!.on("data", (d: Buffer) => {
      stderr += d;
    });
    onTestFinished(() => {
      try {
        process.kill(-primary.pid!, "SIGKILL");
      } catch {
        // Already gone.
      }
    });
    const stdout = await printed(primary, "a worker that dies is replaced");
    const pids = /pids ([0-9, ]+)\)/.exec(stdout)![1]!.split(", ").map(Number);
    return { primary, port, pids, stderr: () => stderr };
  }

  /** One request on a connection of its own (so the primary hands it to the next worker). */
  function send(
    port: number,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: { status: number; errors?: { code: string }[] } }> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          host: "127.0.0.1",
          port,
          method,
          path: `/_allauth/app/v1${path}`,
          agent: false,
          headers: payload
            ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }
            : {},
        },
        (res) => {
          let text = "";
          res.on("data", (d: Buffer) => {
            text += d;
          });
          res.on("end", () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  }

  function alive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  function exited(child: ChildProcess): Promise<number | null> {
    return new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
      else child.once("exit", (code) => resolve(code));
    });
  }

  async function until(condition: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it("a worker that is killed is replaced, and the port answers meanwhile", async () => {
    const server = await startCluster("restart");
    expect(server.pids).toHaveLength(2);
    expect(server.pids.every(alive)).toBe(true);
    process.kill(server.pids[0]!, "SIGKILL");
    await until(() => /worker \d+ started/.test(server.stderr()), "the replacement");
    expect(server.stderr()).toContain(`worker ${server.pids[0]} exited (SIGKILL); starting another`);
    const replacement = Number(/worker (\d+) started/.exec(server.stderr())![1]);
    expect(alive(replacement)).toBe(true);
    for (let i = 0; i < 4; i++) expect((await send(server.port, "GET", "/config")).status).toBe(200);
  });

  it("failed logins are counted once across the workers: the 6th wrong password is refused", async () => {
    const server = await startCluster("limits");
    const signup = await send(server.port, "POST", "/auth/signup", {
      username: "spread",
      password: "correct horse battery staple",
    });
    expect(signup.status).toBe(200);
    // login_failed allows 5 failures per account in 5 minutes; with counters per process the
    // two workers would each allow 5.
    const attempt = () =>
      send(server.port, "POST", "/auth/login", { username: "spread", password: "wrong password 1" });
    for (let i = 0; i < 5; i++) {
      const failed = await attempt();
      expect(failed.status).toBe(400);
      expect(failed.body.errors?.[0]?.code).toBe("username_password_mismatch");
    }
    const refused = await attempt();
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0]?.code).toBe("too_many_login_attempts");
  });

  it("SIGTERM stops every worker (exit 0) and frees the port", async () => {
    const server = await startCluster("stop");
    server.primary.kill("SIGTERM");
    expect(await exited(server.primary)).toBe(0);
    expect(await listening(server.port)).toBe(false);
    await until(() => !server.pids.some(alive), "the workers to exit");
  });
});
