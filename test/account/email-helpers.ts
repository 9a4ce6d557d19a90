import type { Client } from "../../src/core/enums.js";
import type { TestClient, TestResponse } from "../helpers/client.js";
import type { TestServer } from "../helpers/latchkey.js";

/** Shared by the email verification and address management suites. */

export const PASSWORD = "Correct-Horse-Battery-9";

let serial = 0;
/** An address no other test of this process uses. */
export function freshEmail(prefix = "user"): string {
  serial += 1;
  return `${prefix}${serial}x${Math.random().toString(36).slice(2, 7)}@example.org`;
}

let ipSerial = 0;
/** A client with an address of its own (ip-keyed rate limits stay per test) and its CSRF cookie. */
export async function freshClient(server: TestServer, kind: Client): Promise<TestClient> {
  ipSerial += 1;
  const c = server.client(kind, `10.${Math.floor(ipSerial / 250) % 250}.${ipSerial % 250}.7`);
  await c.get("/config");
  return c;
}

export function pendingFlow(res: TestResponse): { id: string } | undefined {
  return (res.body.data?.flows as Array<{ id: string; is_pending?: boolean }> | undefined)?.find(
    (f) => f.is_pending,
  );
}

/** The link key of the newest verification mail to an address. */
export function linkKey(server: TestServer, email: string): string {
  const mail = server.lastMail(email);
  const key = /verify-email\/([A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
  if (!key) throw new Error(`no verification link in ${mail.text}`);
  return key;
}

/** The code of the newest code mail to an address (a line of its own, indented). */
export function mailedCode(server: TestServer, email: string): string {
  const mail = server.lastMail(email);
  const code = /^ {4}(\S+)\s*$/m.exec(mail.text)?.[1];
  if (!code) throw new Error(`no code in ${mail.text}`);
  return code;
}

export async function addressRows(server: TestServer, userId: number) {
  return server.latchkey.runtime.store.db
    .selectFrom("email_address")
    .select(["email", "verified", "is_primary"])
    .where("user_id", "=", userId)
    .orderBy("id")
    .execute();
}

export async function userIdOf(server: TestServer, email: string): Promise<number | undefined> {
  const row = await server.latchkey.runtime.store.db
    .selectFrom("email_address")
    .select("user_id")
    .where("email_lower", "=", email.toLowerCase())
    .executeTakeFirst();
  return row?.user_id;
}

/** Marks a user as having logged in before (allauth `did_user_login`), as a returning user. */
export async function markLoggedInBefore(server: TestServer, userId: number): Promise<void> {
  await server.latchkey.runtime.store.db
    .updateTable("user")
    .set({ last_login: Date.now() })
    .where("id", "=", userId)
    .execute();
}
