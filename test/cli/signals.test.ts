import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { BIN, cleanEnv, freePort, listening, printed, ROOT } from "./support.js";

/** How long a stopped server may take to let its port go (it waits for nothing: no request is in flight). */
const STOP_WITHIN_MS = 10_000;

/**
 * Ctrl+C, SIGINT and SIGTERM stop the server, whichever process gets them: the server itself
 * (`latchkey serve` is one process), or npm in front of it (`npm start`, which passes its signals
 * to the server). Each case: start, wait until it answers, signal, then the port must be free
 * again and every process gone.
 */
describe("stopping the server", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "latchkey-signals-"));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Spawns in a process group of its own (as a shell's job is), killed whole if the test fails. */
  function launch(command: string, args: string[], port: number): ChildProcess {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: cleanEnv({ DATABASE_URL: `sqlite:${join(dir, `${port}.sqlite3`)}` }),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    onTestFinished(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // Already gone, as it should be.
      }
    });
    return child;
  }

  function exited(child: ChildProcess): Promise<number | null> {
    return new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
      else child.once("exit", (code) => resolve(code));
    });
  }

  async function expectPortFreed(port: number): Promise<void> {
    const deadline = Date.now() + STOP_WITHIN_MS;
    while ((await listening(port)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await listening(port), `port ${port} still answers`).toBe(false);
  }

  /**
   * No process of the group is left, within the stop deadline: npm may exit on the signal while
   * the server, its port closed, is still closing the database.
   */
  async function expectGroupGone(child: ChildProcess): Promise<void> {
    const alive = () => {
      try {
        process.kill(-child.pid!, 0);
        return true;
      } catch {
        return false;
      }
    };
    const deadline = Date.now() + STOP_WITHIN_MS;
    while (alive() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(alive(), "a process of the group is still running").toBe(false);
  }

  it.each(["SIGINT", "SIGTERM"] as const)("latchkey serve stops on %s (exit 0)", async (signal) => {
    const port = await freePort();
    const server = launch(process.execPath, [BIN, "serve", "--port", String(port)], port);
    await printed(server, "listening on");
    server.kill(signal);
    expect(await exited(server)).toBe(0);
    await expectPortFreed(port);
  });

  it("latchkey serve stops on Ctrl+C (SIGINT to its process group)", async () => {
    const port = await freePort();
    const server = launch(process.execPath, [BIN, "serve", "--port", String(port)], port);
    await printed(server, "listening on");
    process.kill(-server.pid!, "SIGINT");
    expect(await exited(server)).toBe(0);
    await expectPortFreed(port);
  });

  it.each([
    ["SIGTERM to npm", (npm: ChildProcess) => npm.kill("SIGTERM")],
    ["SIGINT to npm", (npm: ChildProcess) => npm.kill("SIGINT")],
    ["Ctrl+C (SIGINT to the process group)", (npm: ChildProcess) => process.kill(-npm.pid!, "SIGINT")],
  ])("npm start stops on %s", async (_name, signal) => {
    const port = await freePort();
    const npm = launch("npm", ["start", "--", "--port", String(port)], port);
    await printed(npm, "listening on");
    signal(npm);
    await exited(npm);
    await expectPortFreed(port);
    await expectGroupGone(npm);
  });
});
