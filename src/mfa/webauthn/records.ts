import type { Kysely } from "kysely";
import { AuthenticatorType } from "../../core/enums.js";
import type { AuthenticatorTable, Database } from "../../store/tables.js";
import { deleteDanglingRecoveryCodes } from "../authenticators.js";

/**
 * What an `authenticator` row of type "webauthn" keeps in its `data` JSON. Everything needed to
 * verify later assertions, nothing from the client that was not verified.
 */
export interface WebAuthnData {
  /** Shown to the user; renamed with PUT /account/authenticators/webauthn. */
  name: string;
  /** Credential id, base64url. */
  credential_id: string;
  /** COSE public key, base64url. */
  public_key: string;
  /** The signature counter last seen (0 for authenticators that do not count). */
  counter: number;
  /** Transports the browser reported at registration (hints for allowCredentials). */
  transports: string[];
  /** From the credProps extension (`rk`): a discoverable credential, i.e. a passkey. Absent when unknown. */
  passwordless?: boolean;
  /** Authenticator model (AAGUID), as registered. */
  aaguid: string;
  /** "singleDevice" or "multiDevice" (backup eligible), from the flags at registration. */
  device_type: string;
  /** Backup state at the last verification. */
  backed_up: boolean;
}

export interface WebAuthnAuthenticator {
  id: number;
  userId: number;
  data: WebAuthnData;
  /** The stored JSON text, for compare-and-swap updates. */
  raw: string;
  createdAt: number;
  lastUsedAt: number | null;
}

/** The wire object (ALLAUTH-BEHAVIOUR §4.3): `is_passwordless` only when known; times are float epoch seconds. */
export interface WebAuthnAuthenticatorResponse {
  type: "webauthn";
  created_at: number;
  last_used_at: number | null;
  id: number;
  name: string;
  is_passwordless?: boolean;
}

export function serializeWebAuthnAuthenticator(a: {
  id: number;
  data: Pick<WebAuthnData, "name" | "passwordless">;
  createdAt: number;
  lastUsedAt: number | null;
}): WebAuthnAuthenticatorResponse {
  const out: WebAuthnAuthenticatorResponse = {
    type: "webauthn",
    created_at: a.createdAt / 1000,
    last_used_at: a.lastUsedAt === null ? null : a.lastUsedAt / 1000,
    id: a.id,
    name: a.data.name,
  };
  if (typeof a.data.passwordless === "boolean") out.is_passwordless = a.data.passwordless;
  return out;
}

function parseData(raw: string): WebAuthnData {
  const data = JSON.parse(raw) as Partial<WebAuthnData>;
  return {
    name: typeof data.name === "string" ? data.name : "",
    credential_id: data.credential_id ?? "",
    public_key: data.public_key ?? "",
    counter: typeof data.counter === "number" ? data.counter : 0,
    transports: Array.isArray(data.transports) ? data.transports : [],
    ...(typeof data.passwordless === "boolean" ? { passwordless: data.passwordless } : {}),
    aaguid: data.aaguid ?? "",
    device_type: data.device_type ?? "singleDevice",
    backed_up: data.backed_up === true,
  };
}

function toAuthenticator(
  row: Pick<AuthenticatorTable, "data" | "created_at" | "last_used_at" | "user_id"> & { id: number },
): WebAuthnAuthenticator {
  return {
    id: row.id,
    userId: row.user_id,
    data: parseData(row.data),
    raw: row.data,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

/** A user's WebAuthn authenticators, oldest first. */
export async function listWebAuthn(db: Kysely<Database>, userId: number): Promise<WebAuthnAuthenticator[]> {
  const rows = await db
    .selectFrom("authenticator")
    .select(["id", "user_id", "data", "created_at", "last_used_at"])
    .where("user_id", "=", userId)
    .where("type", "=", AuthenticatorType.WEBAUTHN)
    .orderBy("id")
    .execute();
  return rows.map(toAuthenticator);
}

/** allauth's default names: "Master key", "Backup key", then "Key nr. N". */
export function defaultName(existing: number): string {
  if (existing === 0) return "Master key";
  if (existing === 1) return "Backup key";
  return `Key nr. ${existing + 1}`;
}

export async function insertWebAuthn(
  db: Kysely<Database>,
  userId: number,
  data: WebAuthnData,
  now: number,
): Promise<WebAuthnAuthenticator> {
  const raw = JSON.stringify(data);
  const row = await db
    .insertInto("authenticator")
    .values({
      user_id: userId,
      type: AuthenticatorType.WEBAUTHN,
      data: raw,
      created_at: now,
      last_used_at: null,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return { id: row.id, userId, data, raw, createdAt: now, lastUsedAt: null };
}

/**
 * Records a successful assertion: the new counter and last use. A compare-and-swap on the stored
 * JSON, so two concurrent requests replaying one assertion cannot both pass: false means another
 * request changed the row first.
 */
export async function recordUse(
  db: Kysely<Database>,
  authenticator: WebAuthnAuthenticator,
  changes: { counter: number; backedUp: boolean },
  now: number,
): Promise<boolean> {
  const data: WebAuthnData = { ...authenticator.data, counter: changes.counter, backed_up: changes.backedUp };
  const result = await db
    .updateTable("authenticator")
    .set({ data: JSON.stringify(data), last_used_at: now })
    .where("id", "=", authenticator.id)
    .where("data", "=", authenticator.raw)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Renames an authenticator; null when it no longer exists. */
export async function renameWebAuthn(
  db: Kysely<Database>,
  authenticator: WebAuthnAuthenticator,
  name: string,
): Promise<WebAuthnAuthenticator | null> {
  // Read-modify-write of the JSON, retried if a concurrent assertion changed the counter meanwhile.
  let current: WebAuthnAuthenticator | undefined = authenticator;
  while (current) {
    const data: WebAuthnData = { ...current.data, name };
    const raw = JSON.stringify(data);
    const result = await db
      .updateTable("authenticator")
      .set({ data: raw })
      .where("id", "=", current.id)
      .where("data", "=", current.raw)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 1) return { ...current, data, raw };
    current = (await listWebAuthn(db, current.userId)).find((a) => a.id === authenticator.id);
  }
  return null;
}

/**
 * Deletes some of a user's WebAuthn authenticators, then the recovery codes if nothing else is
 * left for them to back up (allauth `delete_and_cleanup`).
 */
export async function deleteWebAuthn(db: Kysely<Database>, userId: number, ids: number[]): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .deleteFrom("authenticator")
      .where("user_id", "=", userId)
      .where("type", "=", AuthenticatorType.WEBAUTHN)
      .where("id", "in", ids)
      .execute();
    await deleteDanglingRecoveryCodes(trx, userId);
  });
}
