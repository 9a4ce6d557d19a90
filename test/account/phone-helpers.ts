import { expect } from "vitest";
import type { Client } from "../../src/core/enums.js";
import type { SmsMessage } from "../../src/sms/index.js";
import { PASSWORD, type TestUser, unique } from "../helpers/accounts.js";
import type { TestClient, TestResponse } from "../helpers/client.js";
import type { TestServer } from "../helpers/latchkey.js";

// Test files share nothing but PostgreSQL, where each suite has a schema of its own.
let serial = Math.floor(Math.random() * 9_000_000);
/** A valid Dutch mobile number no other test of this process uses. */
export function newPhone(): string {
  serial += 1;
  return `+3161${String(serial % 10_000_000).padStart(7, "0")}`;
}

/** The code of a code text (its first word). */
export function codeFromText(text: SmsMessage): string {
  const code = text.body.split(" ")[0];
  if (!code || !/\d|[A-Z]{4}/.test(code)) throw new Error(`no code in ${text.body}`);
  return code;
}

/** A code that is not the given one (same format). */
export function wrongCode(code: string, i = 0): string {
  const letters = "BCDFGHJKLMNPQRSTVWXZ";
  const first = letters[(letters.indexOf(code[0]!) + 1 + (i % 19)) % letters.length]!;
  return `${first}${code.slice(1)}`;
}

/** Puts a user with a phone number (and no address) straight into the database. */
export async function insertPhoneUser(
  server: TestServer,
  init: { phone?: string; verified?: boolean; password?: string | null } = {},
): Promise<TestUser & { phone: string }> {
  const rt = server.latchkey.runtime;
  const username = unique();
  const password = init.password === undefined ? PASSWORD : init.password;
  const phone = init.phone ?? newPhone();
  const row = await rt.store.db
    .insertInto("user")
    .values({
      username,
      username_lower: username.toLowerCase(),
      password: password === null ? null : await rt.hasher.hash(password),
      date_joined: Date.now(),
      last_login: null,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  await rt.store.db
    .insertInto("phone_number")
    .values({ user_id: row.id, phone, verified: init.verified === false ? 0 : 1 })
    .execute();
  return { id: row.id, username, email: null, password, phone };
}

/** The user's stored number, as GET /account/phone shows it (null when none). */
export async function storedPhone(
  server: TestServer,
  userId: number,
): Promise<{ phone: string; verified: boolean } | null> {
  return server.latchkey.runtime.phones.find(userId);
}

/** A client logged in by phone and password. */
export async function phoneLoginClient(
  server: TestServer,
  kind: Client,
  user: { phone: string; password: string | null },
): Promise<TestClient> {
  const c = server.client(kind);
  await c.get("/config");
  const res = await c.post("/auth/login", { phone: user.phone, password: user.password });
  expect(res.status, res.text).toBe(200);
  return c;
}

/** The pending flow of a 401. */
export function pendingFlow(res: TestResponse): string | undefined {
  return res.body?.data?.flows?.find((f: { is_pending?: boolean }) => f.is_pending)?.id;
}

export function errorsOf(res: TestResponse) {
  return (res.body.errors ?? []).map((e: { code: string; param?: string }) => ({
    code: e.code,
    param: e.param,
  }));
}
