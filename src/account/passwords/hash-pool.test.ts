import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const TSX = fileURLToPath(new URL("../../../node_modules/.bin/tsx", import.meta.url));
const POOL = fileURLToPath(new URL("./hash-pool.ts", import.meta.url));

/** Runs a script that hashes on the pool and does nothing else: its exit code and output. */
function runScript(script: string): Promise<{ code: number | null; out: string }> {
  const dir = mkdtempSync(join(tmpdir(), "latchkey-hash-pool-"));
  const file = join(dir, "script.mts");
  writeFileSync(file, script);
  return new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    const child = spawn(TSX, [file], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the script did not exit by itself: ${out}`));
    }, 20_000);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  }).finally(() => rmSync(dir, { recursive: true, force: true }));
}

describe("the hashing threads", () => {
  it("hold the process open while a hash is running, and not once they are idle", async () => {
    // Nothing else keeps this process alive: the answer must still arrive (the thread is ref'd
    // while it works), and the process must then end by itself (idle threads are unref'd).
    const { code, out } = await runScript(
      `const { runArgon2 } = await import(${JSON.stringify(POOL)});
       const hash = await runArgon2({ op: "hash", password: "pw", options: { memoryCost: 8192, timeCost: 1 } });
       console.log(String(hash).slice(0, 10));`,
    );
    expect(out).toContain("$argon2id$");
    expect(code).toBe(0);
  });
});
