import { expect } from "vitest";
import type { Client } from "../../src/core/enums.js";
import { Session } from "../../src/sessions/session.js";
import type { TestClient, TestResponse } from "./client.js";
import type { TestServer } from "./latchkey.js";

/** A strong password that passes every default validator. */
export const PASSWORD = "Correct-Horse-Battery-9";

export interface TestUser {
  id: number;
  username: string | null;
  email: string | null;
  password: string | null;
}

let serial = 0;
/** A name no other test in this process uses (tests of one file share a database). */
export function unique(prefix = "user"): string {
  serial += 1;
  return `${prefix}${serial}${Math.random().toString(36).slice(2, 6)}`;
}

/**
 * Puts a user straight into the database (not through signup, so tests of login, sessions and
 * password change do not depend on the signup flow). The address is primary.
 */
export async function insertUser(
  server: TestServer,
  init: {
    username?: string | null;
    email?: string | null;
    password?: string | null;
    verified?: boolean;
    isActive?: boolean;
  } = {},
): Promise<TestUser> {
  const rt = server.latchkey.runtime;
  const username = init.username === undefined ? unique() : init.username;
  const email = init.email === undefined ? `${username ?? unique()}@example.org`.toLowerCase() : init.email;
  const password = init.password === undefined ? PASSWORD : init.password;
  const db = rt.store.db;
  const row = await db
    .insertInto("user")
    .values({
      username,
      username_lower: username?.toLowerCase() ?? null,
      password: password === null ? null : await rt.hasher.hash(password),
      is_active: init.isActive === false ? 0 : 1,
      date_joined: Date.now(),
      last_login: null,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  if (email !== null) {
    await db
      .insertInto("email_address")
      .values({
        user_id: row.id,
        email,
        email_lower: email.toLowerCase(),
        verified: init.verified ? 1 : 0,
        is_primary: 1,
      })
      .execute();
  }
  return { id: row.id, username, email, password };
}

/** A new anonymous frontend that has loaded /config, as an SPA does first (the browser then holds its CSRF cookie). */
export async function anonymousClient(
  server: TestServer,
  kind: Client,
  remoteAddress?: string,
): Promise<TestClient> {
  const client = server.client(kind, remoteAddress);
  await client.get("/config");
  return client;
}

/** A client of the given kind logged in as the user (by username, the default login method). */
export async function loginClient(
  server: TestServer,
  kind: Client,
  user: TestUser,
  remoteAddress?: string,
): Promise<TestClient> {
  const client = server.client(kind, remoteAddress);
  const body = server.latchkey.options.account.loginMethods.includes("username")
    ? { username: user.username, password: user.password }
    : { email: user.email, password: user.password };
  await client.get("/config");
  const res = await client.post("/auth/login", body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return client;
}

/** The `User` object allauth serialises for this user. */
export function userBody(user: TestUser, hasUsablePassword = user.password !== null) {
  return {
    id: user.id,
    display: user.username ?? user.email,
    ...(user.email ? { email: user.email } : {}),
    ...(user.username ? { username: user.username } : {}),
    has_usable_password: hasUsablePassword,
  };
}

const ENVELOPE_KEYS = new Set(["status", "data", "meta", "errors"]);

/**
 * Checks what every API answer shares: a JSON envelope whose `status` is the HTTP status, with
 * only the envelope's keys and none of them empty, and allauth's never-cache headers.
 */
export function expectEnvelope(res: TestResponse): void {
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  expect(res.headers.get("cache-control")).toBe("max-age=0, no-cache, no-store, must-revalidate, private");
  expect(res.headers.get("expires")).toBeTruthy();
  expect(res.body).toBeTypeOf("object");
  expect(res.body.status).toBe(res.status);
  for (const [key, value] of Object.entries(res.body)) {
    expect(ENVELOPE_KEYS.has(key), `unexpected envelope key ${key}`).toBe(true);
    expect(value, `envelope key ${key} is empty`).not.toBeNull();
    if (key === "errors") expect((value as unknown[]).length).toBeGreaterThan(0);
    if (key === "meta") expect(Object.keys(value as object).length).toBeGreaterThan(0);
  }
}

/** The 401 body of an anonymous caller with the default options. */
export const ANONYMOUS_FLOWS = [{ id: "login" }, { id: "signup" }];

/** Rows of the session table (for ip, last_seen_at, expiry checks). */
export function sessionRows(server: TestServer) {
  return server.latchkey.runtime.store.db.selectFrom("session").selectAll().orderBy("id").execute();
}

export async function countRows(
  server: TestServer,
  table: "user" | "email_address" | "session" | "token" | "code_process",
): Promise<number> {
  const row = await server.latchkey.runtime.store.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function storedPasswordHash(server: TestServer, userId: number): Promise<string | null> {
  const row = await server.latchkey.runtime.store.db
    .selectFrom("user")
    .select("password")
    .where("id", "=", userId)
    .executeTakeFirstOrThrow();
  return row.password;
}

/** Whether the address (given lower-cased) is marked verified. */
export async function isVerified(server: TestServer, email: string): Promise<boolean> {
  const row = await server.latchkey.runtime.store.db
    .selectFrom("email_address")
    .select("verified")
    .where("email_lower", "=", email)
    .executeTakeFirstOrThrow();
  return row.verified === 1;
}

/**
 * Saves an anonymous session holding some state, as a flow in progress would, and returns its
 * token: what a client holds before it logs in.
 */
export async function plantAnonymousSession(server: TestServer): Promise<string> {
  const rt = server.latchkey.runtime;
  const session = Session.fresh(rt.now());
  session.set("test.state", true);
  await rt.sessions.commit(session, { ip: "127.0.0.1", userAgent: "test" }, rt.now());
  return session.token!;
}
