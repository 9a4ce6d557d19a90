import { beforeAll, describe, expect, it } from "vitest";
import { AuthenticatorType } from "../../src/core/enums.js";
import { expectOneLineError, run, runHere, useCommandDatabase } from "./support.js";

const PASSWORD = "Correct-Horse-Battery-9";

/**
 * `latchkey users mfa-reset`: the operator's way back in for a user who lost every factor. The
 * authenticators are stored through the repository the MFA area uses; what matters is that the
 * API's login stops asking for a second factor afterwards, and that the user's sessions end.
 */
describe("latchkey users mfa-reset", () => {
  const db = useCommandDatabase("latchkey-mfa-reset-");
  let id: number;

  beforeAll(async () => {
    const created = await runHere(
      { command: "users create", username: "ada", email: "ada@example.com", verified: true },
      db.env,
      `${PASSWORD}\n`,
    );
    expect(created.code, created.stderr).toBe(0);
    id = Number(/^Created user (\d+)/.exec(created.stdout)![1]);
  });

  async function login(): Promise<{ status: number; token?: string; pending?: string }> {
    const response = await db.api.handler(
      new Request("http://localhost/_allauth/app/v1/auth/login", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "ada", password: PASSWORD }),
      }),
    );
    const body = await response.json();
    const pending = (body.data?.flows ?? []).find((f: { is_pending?: boolean }) => f.is_pending)?.id;
    return { status: response.status, token: body.meta?.session_token, pending };
  }

  async function sessionStatus(token: string): Promise<number> {
    const response = await db.api.handler(
      new Request("http://localhost/_allauth/app/v1/auth/session", { headers: { "x-session-token": token } }),
    );
    return response.status;
  }

  it("removes TOTP, recovery codes and every WebAuthn key, ends the sessions, and logs mfaRemoved for each", async () => {
    const { token } = await login();
    expect(await sessionStatus(token!)).toBe(200);
    const store = db.api.runtime.authenticators;
    const now = Date.now();
    await store.insert(id, AuthenticatorType.TOTP, { secret: "JBSWY3DPEHPK3PXP" }, now);
    await store.insert(id, AuthenticatorType.RECOVERY_CODES, { hashes: ["a", "b"] }, now);
    const keys = [
      await store.insert(id, AuthenticatorType.WEBAUTHN, { name: "one", credential_id: "AQ" }, now),
      await store.insert(id, AuthenticatorType.WEBAUTHN, { name: "two", credential_id: "Ag" }, now),
    ];
    expect(await login()).toMatchObject({ status: 401, pending: "mfa_authenticate" });

    // A process, as operators run it: the security events are log lines on standard error.
    const reset = await run(["users", "mfa-reset", "ada@example.com"], db.dir, {
      ...db.env,
      LATCHKEY_LOG_LEVEL: "info",
    });
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout.trim()).toBe(
      `Removed totp, 2 webauthn, recovery_codes from user ${id} (ada, ada@example.com); ended 1 session.`,
    );
    const events = reset.stderr
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line))
      .filter((line) => line.event === "mfaRemoved");
    expect(events.map((e) => [e.user, e.type])).toEqual([
      [id, "totp"],
      [id, "webauthn"],
      [id, "recovery_codes"],
    ]);
    expect(events[1].ids).toEqual(keys.map((k) => k!.id));

    expect(await store.types(id)).toEqual([]);
    expect(await sessionStatus(token!)).toBe(410);
    expect(await login()).toMatchObject({ status: 200 });
  });

  it("says so when the user has no authenticator, and still ends its sessions", async () => {
    const { token } = await login();
    const reset = await runHere({ command: "users mfa-reset", argument: "ada" }, db.env);
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout.trim()).toBe(
      `User ${id} (ada, ada@example.com) had no authenticators; ended 2 sessions.`,
    );
    expect(await sessionStatus(token!)).toBe(410);
  });

  it("refuses an unknown user, and needs one", async () => {
    expectOneLineError(
      await runHere({ command: "users mfa-reset", argument: "nobody" }, db.env),
      "no user with the username nobody",
    );
    const missing = await run(["users", "mfa-reset"], db.dir, db.env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("users mfa-reset needs a USER");
  });
});
