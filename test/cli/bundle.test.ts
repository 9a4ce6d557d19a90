import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { cleanEnv, finished, freePort, printed, ROOT } from "./support.js";

const BUNDLE = join(ROOT, "dist/cli/bundle.js");
const PASSWORD = "Correct-Horse-Battery-9";

/**
 * The command as the package runs it: dist/cli/bundle.js, which `npm run build` bundles from
 * Latchkey's modules. What those modules find relative to themselves must be found from the
 * bundle too: the common-password list, the docs page's files, the argon2 binding the hashing
 * threads load. Runs the build there is (none, none to run).
 */
describe.skipIf(!existsSync(BUNDLE))("the command's bundle", () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "latchkey-bundle-"));
    env = {
      DATABASE_URL: `sqlite:${join(dir, "db.sqlite3")}`,
      LATCHKEY_RATE_LIMITS: "false",
      LATCHKEY_PASSWORD_HASHING_MEMORY_COST: "1024",
      LATCHKEY_PASSWORD_HASHING_TIME_COST: "1",
    };
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function start(args: string[], input?: string): ChildProcess {
    const child = spawn(process.execPath, [BUNDLE, ...args], {
      cwd: dir,
      env: cleanEnv(env),
      stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    if (input !== undefined) child.stdin!.end(input);
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });
    return child;
  }

  it("users create: refuses a password of the common-password list, and hashes a good one", async () => {
    const common = await finished(start(["users", "create", "--username", "ann"], "password123\n"));
    expect(common.code, common.stderr).toBe(1);
    expect(common.stderr).toContain("too common");
    const created = await finished(start(["users", "create", "--username", "ann"], `${PASSWORD}\n`));
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain("Created user");
  });

  it("serve: the docs page, a signup (hashed on the hashing threads), then SIGTERM stops it", async () => {
    const port = await freePort();
    const server = start(["serve", "--port", String(port), "--workers", "1"]);
    const exit = new Promise<number | null>((resolve) => server.once("exit", resolve));
    await printed(server, "listening on");
    const base = `http://127.0.0.1:${port}/_allauth`;

    const docs = await fetch(`${base}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain("docs.js");
    const script = await fetch(`${base}/docs.js`);
    expect(script.status).toBe(200);

    const signup = await fetch(`${base}/app/v1/auth/signup`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "bea", email: "bea@example.com", password: PASSWORD }),
    });
    expect(signup.status, await signup.clone().text()).toBe(200);
    const login = await fetch(`${base}/app/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "bea", password: PASSWORD }),
    });
    expect(login.status).toBe(200);

    server.kill("SIGTERM");
    expect(await exit).toBe(0);
  });
});
