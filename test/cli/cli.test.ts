import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCliOptions, redactUrl } from "../../src/cli/config.js";
import { expectOneLineError, freePort, printed, run, runHere, start } from "./support.js";

describe("latchkey CLI", () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "latchkey-cli-"));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints help", async () => {
    const result = await run(["--help"], dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Usage: latchkey <command>");
    for (const command of ["serve", "migrate", "check"]) expect(result.stdout).toContain(command);
  });

  it("refuses an unknown command with the usage (exit 2)", async () => {
    const unknown = await run(["frobnicate"], dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
  });

  it("check: ok with a summary", async () => {
    const result = await run(["check"], dir);
    expect(result.code, result.stderr).toBe(0);
    const [first, ...summary] = result.stdout.trim().split("\n");
    expect(first).toBe("ok");
    expect(summary.join("\n")).toMatch(/database\s+sqlite:latchkey\.sqlite3/);
    expect(summary.join("\n")).toMatch(/login methods\s+username/);
    // check only validates: it creates no database.
    expect(existsSync(join(dir, "latchkey.sqlite3"))).toBe(false);
  });

  it("check: a refused combination from LATCHKEY_* names the option (exit 1)", async () => {
    const result = await run(["check"], dir, {
      LATCHKEY_ACCOUNT_LOGIN_METHODS: "email",
      LATCHKEY_ACCOUNT_UNIQUE_EMAIL: "false",
    });
    expectOneLineError(result, "account.loginMethods", "account.uniqueEmail");
    expect(result.stdout).toBe("");
  });

  it("check: the config file, then LATCHKEY_*, then the summary shows both", async () => {
    const file = join(dir, "options.json");
    writeFileSync(
      file,
      JSON.stringify({
        siteName: "Acme",
        account: { loginMethods: ["email"], signupFields: ["email*", "password1*"] },
        database: { url: "postgres://acme:secret@db.example.com/acme" },
      }),
    );
    const result = await run(["check", "--config", file], dir, { LATCHKEY_RATE_LIMITS: "false" });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/login methods\s+email/);
    expect(result.stdout).toMatch(/rate limits\s+off/);
    // Passwords in URLs are not printed.
    expect(result.stdout).toContain("postgres://acme:***@db.example.com/acme");
    expect(result.stdout).not.toContain("secret");
  });

  it("check: a config file that is not JSON (exit 1, one line)", async () => {
    const file = join(dir, "broken.json");
    writeFileSync(file, '{"siteName": "Acme",');
    expectOneLineError(await run(["check", "-c", file], dir), "broken.json", "not valid JSON");
  });

  it("migrate: applies the migrations to a new SQLite file and lists them, then nothing", async () => {
    const url = `sqlite:${join(dir, "migrate.sqlite3")}`;
    const first = await run(["migrate"], dir, { DATABASE_URL: url });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^Applied \d{4}_\w+$/m);
    const second = await run(["migrate"], dir, { DATABASE_URL: url });
    expect(second.code).toBe(0);
    expect(second.stdout.trim()).toBe("No migrations to apply.");
  });

  it("migrate: an unreachable database is one line (exit 1), without the password", async () => {
    const port = await freePort();
    const url = `postgres://postgres:hunter2@127.0.0.1:${port}/nowhere`;
    const result = await run(["migrate"], dir, { DATABASE_URL: url });
    expectOneLineError(result, `127.0.0.1:${port}`, "ECONNREFUSED");
    expect(result.stderr).not.toContain("hunter2");
  });

  it("prints the stack trace only under LATCHKEY_DEBUG=1", async () => {
    const env = { LATCHKEY_ACCOUNT_LOGIN_METHODS: "email", LATCHKEY_ACCOUNT_UNIQUE_EMAIL: "false" };
    const debug = await run(["check"], dir, { ...env, LATCHKEY_DEBUG: "1" });
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/^latchkey: .*account\.loginMethods/);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });

  it("serve: a bad port or a SQLite path that cannot be opened is one line (exit 1)", async () => {
    expectOneLineError(await run(["serve", "--port", "http"], dir), "port");
    expectOneLineError(
      await run(["serve", "--port", "0"], dir, {
        DATABASE_URL: `sqlite:${join(dir, "no/such/dir/db.sqlite3")}`,
      }),
      "cannot start with the database",
      "directory does not exist",
    );
  });

  it("serve: with no configuration, SQLite in the working directory; answers config; SIGTERM exits 0", async () => {
    const port = await freePort();
    const child = start(["serve", "--port", String(port)], dir);
    let stdout = "";
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on("data", (d: Buffer) => {
          stdout += d;
          if (stdout.includes("listening on")) resolve();
        });
        child.once("close", () => reject(new Error(`serve exited early:\n${stdout}\n${stderr}`)));
      });
      expect(stdout).toContain(`http://localhost:${port}`);
      const response = await fetch(`http://127.0.0.1:${port}/_allauth/browser/v1/config`);
      expect(response.status).toBe(200);
      expect((await response.json()).data.account.login_methods).toEqual(["username"]);
      expect(existsSync(join(dir, "latchkey.sqlite3"))).toBe(true);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    expect(stderr).toBe("");
  });

  it("serve: under NODE_ENV=production, logs a warning for each option unfit for production", async () => {
    const port = await freePort();
    const child = start(["serve", "--port", String(port)], dir, {
      NODE_ENV: "production",
      DATABASE_URL: `sqlite:${join(dir, "production.sqlite3")}`,
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    try {
      const stdout = await printed(child, '"rateLimits.store is');
      const warnings = stdout
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as { level: number; msg: string })
        .filter((entry) => entry.level === 40);
      expect(warnings.map((w) => w.msg)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^NODE_ENV is production, but mail\.transport is "console"/),
          expect.stringMatching(/^NODE_ENV is production, but sessions\.cookieSecure is false/),
        ]),
      );
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  });

  it("check: a variable's error says what the option expects", async () => {
    expectOneLineError(
      await runHere({ command: "check" }, { LATCHKEY_SESSIONS_IDLE_TIMEOUT: "-5" }),
      "LATCHKEY_SESSIONS_IDLE_TIMEOUT",
      'must be a positive whole number of seconds, not "-5"',
    );
    expectOneLineError(
      await runHere({ command: "check" }, { LATCHKEY_SESSIONS_COOKIE_SECURE: "yes" }),
      "LATCHKEY_SESSIONS_COOKIE_SECURE",
      'expected true or false, not "yes"',
    );
    expectOneLineError(
      await runHere({ command: "check" }, { LATCHKEY_MAIL_TRANSPORT: "pigeon" }),
      "expected one of console, file, smtp",
    );
  });

  it("check: a rate-limit spec is checked as serve checks it, naming the action", async () => {
    expectOneLineError(
      await runHere({ command: "check" }, { LATCHKEY_RATE_LIMITS_ACTIONS_LOGIN: "30/minute" }),
      "rateLimits.actions.login",
      '"30/minute"',
    );
  });

  it("check: what only createLatchkey checked (the JWT key) is checked too", async () => {
    const ecKey = generateKeyPairSync("ec", { namedCurve: "P-256" })
      .privateKey.export({ format: "pem", type: "pkcs8" })
      .toString();
    const file = join(dir, "jwt.json");
    writeFileSync(
      file,
      JSON.stringify({ tokens: { strategy: "jwt", jwt: { algorithm: "RS256", privateKey: ecKey } } }),
    );
    expectOneLineError(
      await runHere({ command: "check", config: file }),
      "tokens.jwt.privateKey",
      "RS256 needs an RSA key",
    );
  });

  it("check --production: lists what is unfit for production, naming each option (exit 1)", async () => {
    const result = await runHere({ command: "check", production: true });
    expect(result.code).toBe(1);
    const [, problems] = result.stdout.split(/^production: /m);
    for (const option of [
      'mail.transport is "console"',
      "sessions.cookieSecure is false",
      "csrf.cookieSecure is false",
      "csrf.trustedOrigins and cors.allowedOrigins are empty",
      "database.url is the SQLite file latchkey.sqlite3 in the working directory",
      'rateLimits.store is "memory"',
      "frontendUrls.accountConfirmEmail",
    ]) {
      expect(problems).toContain(option);
    }
  });

  it("check --production: nothing found for production options (exit 0)", async () => {
    const file = join(dir, "production.json");
    writeFileSync(
      file,
      JSON.stringify({
        database: { url: "postgres://latchkey@db.internal/latchkey" },
        mail: { transport: "smtp", smtpHost: "smtp.example.com", from: "Example <no-reply@example.com>" },
        sessions: { cookieSecure: true },
        csrf: { cookieSecure: true, trustedOrigins: ["https://app.example.com"] },
        rateLimits: { store: "postgres" },
        frontendUrls: {
          accountConfirmEmail: "https://app.example.com/verify/{key}",
          accountResetPassword: "https://app.example.com/reset",
          accountResetPasswordFromKey: "https://app.example.com/reset/{key}",
          accountSignup: "https://app.example.com/signup",
          socialaccountLoginError: "https://app.example.com/callback",
        },
      }),
    );
    const result = await runHere({ command: "check", production: true, config: file });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain("production: nothing found");
  });

  it("refuses options of other commands (exit 2)", async () => {
    const result = await run(["check", "--port", "1"], dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--port is not an option of check");
  });

  it("serve: a port in use is one line (exit 1)", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const result = await run(["serve", "--port", String(port)], dir, {
        DATABASE_URL: `sqlite:${join(dir, "busy.sqlite3")}`,
      });
      expectOneLineError(result, "already in use");
    } finally {
      blocker.close();
    }
  });
});

describe("CLI options (in process)", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "latchkey-cli-options-"));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("DATABASE_URL sets database.url over the file; LATCHKEY_DATABASE_URL wins over both", async () => {
    const file = join(dir, "db.json");
    writeFileSync(file, JSON.stringify({ database: { url: "sqlite:file.sqlite3", tablePrefix: "auth_" } }));
    expect((await loadCliOptions(file, {})).database).toEqual({
      url: "sqlite:file.sqlite3",
      tablePrefix: "auth_",
    });
    expect((await loadCliOptions(file, { DATABASE_URL: "postgres://h/one" })).database).toEqual({
      url: "postgres://h/one",
      tablePrefix: "auth_",
    });
    const both = await loadCliOptions(file, {
      DATABASE_URL: "postgres://h/one",
      LATCHKEY_DATABASE_URL: "postgres://h/two",
    });
    expect(both.database?.url).toBe("postgres://h/two");
  });

  it("keeps the CLI's own LATCHKEY_ variables away from the options", async () => {
    const env = { LATCHKEY_DEBUG: "1", LATCHKEY_HOST: "0.0.0.0", LATCHKEY_PORT: "1", LATCHKEY_CONFIG: "x" };
    expect(await loadCliOptions(undefined, env)).toEqual({});
  });

  it("refuses a missing file, a file that is not an object, unknown LATCHKEY_ names", async () => {
    await expect(loadCliOptions(join(dir, "absent.json"), {})).rejects.toThrow(/absent\.json: no such file/);
    const array = join(dir, "array.json");
    writeFileSync(array, "[]");
    await expect(loadCliOptions(array, {})).rejects.toThrow(/must hold a JSON object/);
    await expect(loadCliOptions(undefined, { LATCHKEY_FOO: "1" })).rejects.toThrow(/LATCHKEY_FOO/);
  });

  it("hides passwords in printed URLs", () => {
    expect(redactUrl("postgres://u:p%40ss@h:5432/db")).toBe("postgres://u:***@h:5432/db");
    expect(redactUrl("redis://:secret@h:6379")).toBe("redis://:***@h:6379");
    expect(redactUrl("postgres://u@h/db")).toBe("postgres://u@h/db");
    expect(redactUrl("sqlite:latchkey.sqlite3")).toBe("sqlite:latchkey.sqlite3");
  });
});
