import { AuthenticatorType } from "../../core/enums.js";
import type { AuthenticatorRow, Authenticators } from "../../store/authenticators.js";

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

/** The wire object: `is_passwordless` only when known (from credProps); times are float epoch seconds. */
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

function toAuthenticator(row: AuthenticatorRow): WebAuthnAuthenticator {
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
export async function listWebAuthn(store: Authenticators, userId: number): Promise<WebAuthnAuthenticator[]> {
  return (await store.list(userId, AuthenticatorType.WEBAUTHN)).map(toAuthenticator);
}

/** allauth's default names: "Master key", "Backup key", then "Key nr. N". */
export function defaultName(existing: number): string {
  if (existing === 0) return "Master key";
  if (existing === 1) return "Backup key";
  return `Key nr. ${existing + 1}`;
}

export async function insertWebAuthn(
  store: Authenticators,
  userId: number,
  data: WebAuthnData,
  now: number,
): Promise<WebAuthnAuthenticator> {
  const row = await store.insert(userId, AuthenticatorType.WEBAUTHN, data, now);
  // A user may have any number of credentials: only the one-per-user types can conflict.
  if (!row) throw new Error("a WebAuthn credential could not be stored");
  return toAuthenticator(row);
}

/**
 * Records a successful assertion: the new counter and last use. A compare-and-swap on the stored
 * JSON, so two concurrent requests replaying one assertion cannot both pass: false means another
 * request changed the row first.
 */
export function recordUse(
  store: Authenticators,
  authenticator: WebAuthnAuthenticator,
  changes: { counter: number; backedUp: boolean },
  now: number,
): Promise<boolean> {
  const data: WebAuthnData = { ...authenticator.data, counter: changes.counter, backed_up: changes.backedUp };
  return store.swapData({ id: authenticator.id, data: authenticator.raw }, data, now);
}

/** Renames an authenticator; null when it no longer exists. */
export async function renameWebAuthn(
  store: Authenticators,
  authenticator: WebAuthnAuthenticator,
  name: string,
): Promise<WebAuthnAuthenticator | null> {
  // Read-modify-write of the JSON, retried if a concurrent assertion changed the counter meanwhile.
  let current: WebAuthnAuthenticator | undefined = authenticator;
  while (current) {
    const data: WebAuthnData = { ...current.data, name };
    if (await store.swapData({ id: current.id, data: current.raw }, data)) {
      return { ...current, data, raw: JSON.stringify(data) };
    }
    current = (await listWebAuthn(store, current.userId)).find((a) => a.id === authenticator.id);
  }
  return null;
}

/**
 * Deletes some of a user's WebAuthn authenticators, then the recovery codes if nothing else is
 * left for them to back up (allauth `delete_and_cleanup`).
 */
export function deleteWebAuthn(store: Authenticators, userId: number, ids: number[]): Promise<void> {
  return store.remove(userId, { type: AuthenticatorType.WEBAUTHN, ids });
}
