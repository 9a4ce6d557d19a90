import { describe, expect, it } from "vitest";
import { expectOneLineError, run, runHere, useCommandDatabase } from "./support.js";

const PASSWORD = "Correct-Horse-Battery-9";
const NEW_PASSWORD = "Another-Long-Passphrase-7";

/**
 * The administration commands. The first test runs the command as a process (its password on the
 * process's standard input); the others run the parsed command in this process, which is what
 * main.ts does after parsing, without starting a process per command.
 */
describe("latchkey users and sessions", () => {
  const db = useCommandDatabase("latchkey-users-");

  async function login(username: string, password: string): Promise<{ status: number; token?: string }> {
    const response = await db.api.handler(
      new Request("http://localhost/_allauth/app/v1/auth/login", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username, password }),
      }),
    );
    const body = await response.json();
    return { status: response.status, token: body.meta?.session_token };
  }

  async function sessionStatus(token: string): Promise<number> {
    const response = await db.api.handler(
      new Request("http://localhost/_allauth/app/v1/auth/session", { headers: { "x-session-token": token } }),
    );
    return response.status;
  }

  let id: number;

  it("users create: the password from standard input, checked by the password rules; then it logs in", async () => {
    const created = await run(
      ["users", "create", "--username", "ada", "--email", "ada@example.com", "--verified"],
      db.dir,
      db.env,
      `${PASSWORD}\n`,
    );
    expect(created.code, created.stderr).toBe(0);
    const match = /^Created user (\d+) \(ada, ada@example\.com\)\.$/.exec(created.stdout.trim());
    expect(match, created.stdout).not.toBeNull();
    id = Number(match![1]);
    expect((await login("ada", PASSWORD)).status).toBe(200);
  });

  it("users create: refuses a weak password, a taken username, a bad address, and no password at all", async () => {
    const create = (fields: { username?: string; email?: string }, input: string) =>
      runHere({ command: "users create", ...fields }, db.env, input);
    expectOneLineError(await create({ username: "bob" }, "password\n"), "password:", "too common");
    expectOneLineError(await create({ username: "ADA" }, `${PASSWORD}\n`), "username:");
    expectOneLineError(await create({ email: "not-an-address" }, `${PASSWORD}\n`), "not a valid email");
    expectOneLineError(await create({ username: "carol" }, ""), "no password on standard input");
    const list = await runHere({ command: "users list" }, db.env);
    expect(list.stdout).not.toMatch(/bob|carol/);
  });

  it("users create --no-password: a user who logs in without one", async () => {
    const created = await runHere(
      { command: "users create", email: "dan@example.com", noPassword: true },
      db.env,
    );
    expect(created.code, created.stderr).toBe(0);
    const show = await runHere({ command: "users show", argument: "dan@example.com" }, db.env);
    expect(show.stdout).toMatch(/^password\s+none/m);
  });

  it("users list and users show, by id, username or email", async () => {
    const list = await runHere({ command: "users list" }, db.env);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ID\s+USERNAME\s+EMAIL\s+ACTIVE\s+LAST LOGIN$/m);
    expect(list.stdout).toMatch(new RegExp(`^${id}\\s+ada\\s+ada@example\\.com\\s+yes\\s+\\d{4}-`, "m"));
    for (const who of [String(id), "ada", "ada@example.com"]) {
      const show = await runHere({ command: "users show", argument: who }, db.env);
      expect(show.code, show.stderr).toBe(0);
      expect(show.stdout).toMatch(/^username\s+ada$/m);
      expect(show.stdout).toMatch(/^emails\s+ada@example\.com \(primary\)$/m);
      expect(show.stdout).toMatch(/^sessions\s+1$/m);
    }
    expectOneLineError(
      await runHere({ command: "users show", argument: "nobody" }, db.env),
      "no user with the username nobody",
    );
    expect((await run(["users", "show"], db.dir, db.env)).code).toBe(2);
  });

  it("sessions revoke --user: every session of the user ends", async () => {
    const { token } = await login("ada", PASSWORD);
    expect(await sessionStatus(token!)).toBe(200);
    const revoked = await runHere({ command: "sessions revoke", user: "ada@example.com" }, db.env);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout.trim()).toBe(`Ended 2 sessions of user ${id}.`);
    expect(await sessionStatus(token!)).toBe(410);
  });

  it("sessions revoke --all: every session of every user ends, anonymous ones too", async () => {
    const created = await runHere({ command: "users create", username: "fay" }, db.env, `${PASSWORD}\n`);
    expect(created.code, created.stderr).toBe(0);
    const tokens = [(await login("ada", PASSWORD)).token!, (await login("fay", PASSWORD)).token!];
    for (const token of tokens) expect(await sessionStatus(token)).toBe(200);
    const rows = () => db.api.runtime.store.db.selectFrom("session").select("id").execute();
    const before = (await rows()).length;
    expect(before).toBeGreaterThanOrEqual(2);
    const revoked = await runHere({ command: "sessions revoke", all: true }, db.env);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout.trim()).toBe(`Ended ${before} sessions.`);
    expect(await rows()).toEqual([]);
    for (const token of tokens) expect(await sessionStatus(token)).toBe(410);
    expect((await login("ada", PASSWORD)).status).toBe(200);
    expectOneLineError(
      await runHere({ command: "sessions revoke", all: true, user: "ada" }, db.env),
      "--user USER or --all, not both",
    );
    expectOneLineError(await runHere({ command: "sessions revoke" }, db.env), "or --all");
  });

  it("users set-password: the new password works, the old one and the sessions it opened do not", async () => {
    const { token } = await login("ada", PASSWORD);
    const set = await runHere(
      { command: "users set-password", argument: "ada" },
      db.env,
      `${NEW_PASSWORD}\n`,
    );
    expect(set.code, set.stderr).toBe(0);
    expect(await sessionStatus(token!)).toBe(410);
    expect((await login("ada", PASSWORD)).status).toBe(400);
    expect((await login("ada", NEW_PASSWORD)).status).toBe(200);
    expectOneLineError(
      await runHere({ command: "users set-password", argument: "ada" }, db.env, "ada\n"),
      "password:",
    );
  });

  it("users deactivate and activate", async () => {
    const { token } = await login("ada", NEW_PASSWORD);
    const off = await runHere({ command: "users deactivate", argument: String(id) }, db.env);
    expect(off.code, off.stderr).toBe(0);
    expect(await sessionStatus(token!)).not.toBe(200);
    expect((await login("ada", NEW_PASSWORD)).status).not.toBe(200);
    expect((await runHere({ command: "users activate", argument: "ada" }, db.env)).code).toBe(0);
    expect((await login("ada", NEW_PASSWORD)).status).toBe(200);
  });

  it("never takes a password from the command line", async () => {
    const result = await run(
      ["users", "create", "--username", "eve", "--password", PASSWORD],
      db.dir,
      db.env,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--password");
  });
});
