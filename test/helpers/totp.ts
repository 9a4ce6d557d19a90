import { Secret, TOTP } from "otpauth";
import { expectStatus, type TestClient, type TestResponse } from "./client.js";
import type { TestServer } from "./latchkey.js";

/** A TOTP code for a base32 secret at an epoch-ms time (the server's clock: `serverNow(server)`). */
export function totpCode(
  secret: string,
  timestamp: number,
  opts: { digits?: number; period?: number } = {},
): string {
  return TOTP.generate({
    secret: Secret.fromBase32(secret),
    digits: opts.digits ?? 6,
    period: opts.period ?? 30,
    timestamp,
  });
}

/** The test server's clock (it moves with `advance`). */
export function serverNow(server: TestServer): number {
  return server.latchkey.runtime.now();
}

/**
 * A TOTP code for the server's current time step. Near the end of a step the clock is moved to
 * the next one first, so the step cannot change between making the code and checking it.
 */
export function currentCode(server: TestServer, secret: string): string {
  const { digits, period } = server.latchkey.options.mfa.totp;
  const remaining = period * 1000 - (serverNow(server) % (period * 1000));
  if (remaining < 2000) server.advance(remaining + 1);
  return totpCode(secret, serverNow(server), { digits, period });
}

/** Moves the server to the next TOTP time step, so a fresh code is not the one just used. */
export function nextStep(server: TestServer): void {
  const period = server.latchkey.options.mfa.totp.period * 1000;
  server.advance(period - (serverNow(server) % period) + 1);
}

let counter = 0;

/** A unique username/email pair for one test. */
export function uniqueUser(prefix = "mfa"): { username: string; email: string; password: string } {
  counter += 1;
  const id = `${prefix}${counter}${Math.random().toString(36).slice(2, 8)}`;
  return { username: id, email: `${id}@example.org`, password: "Correct-Horse-9" };
}

/** Marks every address of a user verified, straight in the database (email verification is another area). */
export async function verifyAllEmails(server: TestServer, email: string): Promise<void> {
  const db = server.latchkey.runtime.store.db;
  const row = await db
    .selectFrom("email_address")
    .select("user_id")
    .where("email_lower", "=", email)
    .executeTakeFirstOrThrow();
  await db.updateTable("email_address").set({ verified: 1 }).where("user_id", "=", row.user_id).execute();
}

/** Signs up (username + email + password), returning the credentials. The client ends up logged in. */
export async function signUp(
  server: TestServer,
  client: TestClient,
  opts: { verified?: boolean } = {},
): Promise<{ username: string; email: string; password: string }> {
  const creds = uniqueUser();
  await primeCsrf(client);
  const r = await client.post("/auth/signup", creds);
  expectStatus(r, 200);
  if (opts.verified ?? true) await verifyAllEmails(server, creds.email);
  return creds;
}

/** A browser first loads the session, which hands it the CSRF cookie (as allauth's SPA does). */
export async function primeCsrf(client: TestClient): Promise<void> {
  if (!client.cookies.has("csrftoken")) await client.get("/auth/session");
}

/** POST /auth/reauthenticate with the password (a fresh signup has no methods to be recent with). */
export async function reauthenticate(client: TestClient, password: string): Promise<void> {
  expectStatus(await client.post("/auth/reauthenticate", { password }), 200);
}

/** GET the TOTP setup, POST a valid code; returns the secret. Needs a recent authentication. */
export async function activateTotp(server: TestServer, client: TestClient): Promise<string> {
  const setup = await client.get("/account/authenticators/totp");
  expectStatus(setup, 404);
  const secret: string = setup.body.meta.secret;
  const r = await client.post("/account/authenticators/totp", { code: currentCode(server, secret) });
  expectStatus(r, 200);
  return secret;
}

/** A signed-up, verified, logged-in user with TOTP active (and recovery codes when supported). */
export async function userWithTotp(
  server: TestServer,
  client: TestClient,
): Promise<{ username: string; email: string; password: string; secret: string }> {
  const creds = await signUp(server, client);
  await reauthenticate(client, creds.password);
  const secret = await activateTotp(server, client);
  return { ...creds, secret };
}

/** Logs in with the password: the 401 with mfa_authenticate pending, or 200. */
export async function passwordLogin(
  client: TestClient,
  username: string,
  password: string,
): Promise<TestResponse> {
  await primeCsrf(client);
  return client.post("/auth/login", { username, password });
}

/** The flow object marked pending in a 401, if any. */
// biome-ignore lint/suspicious/noExplicitAny: flow objects are asserted field by field
export function pendingFlow(response: TestResponse): any {
  // biome-ignore lint/suspicious/noExplicitAny: as above
  return (response.body?.data?.flows ?? []).find((f: any) => f.is_pending === true);
}
