import type { Generated } from "kysely";

/**
 * The schema, as Kysely sees it. Table names are unprefixed here; TablePrefixPlugin adds the
 * configured prefix to every query. Times are Unix epoch milliseconds; booleans are 0/1 so the
 * same rows read alike on SQLite and PostgreSQL.
 */
export interface Database {
  user: UserTable;
  email_address: EmailAddressTable;
  session: SessionTable;
  token: TokenTable;
  authenticator: AuthenticatorTable;
  social_account: SocialAccountTable;
  code_process: CodeProcessTable;
  phone_number: PhoneNumberTable;
  social_state: SocialStateTable;
  social_token: SocialTokenTable;
}

export interface UserTable {
  id: Generated<number>;
  username: string | null;
  /** Lowercased username; unique, so usernames are unique case-insensitively. */
  username_lower: string | null;
  /** argon2id PHC string; null means no usable password. */
  password: string | null;
  is_active: Generated<number>;
  date_joined: number;
  last_login: number | null;
  /** The extra signup fields (createLatchkey's signupFields), as a JSON object; null when none. */
  extra: string | null;
}

export interface EmailAddressTable {
  id: Generated<number>;
  user_id: number;
  email: string;
  /** Lowercased email; unique among primary or verified addresses. */
  email_lower: string;
  verified: number;
  is_primary: number;
}

export interface SessionTable {
  /** Public id (usersessions); the token itself is never stored. */
  id: Generated<number>;
  /** SHA-256 of the session token, base64url. */
  token_hash: string;
  user_id: number | null;
  /** JSON of what the session's user shows (SessionUser), kept current by the writes that change it. */
  user_data: string | null;
  /** JSON of SessionData. */
  data: string;
  created_at: number;
  last_seen_at: number;
  /** When the session dies: min(last activity + idle timeout, created + max age). */
  expires_at: number;
  ip: string;
  user_agent: string;
}

/** Single-use secrets sent by mail (verification and reset links): only their hash is kept. */
export interface TokenTable {
  id: Generated<number>;
  kind: string;
  token_hash: string;
  user_id: number | null;
  email: string | null;
  data: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface AuthenticatorTable {
  id: Generated<number>;
  user_id: number;
  type: string;
  data: string;
  created_at: number;
  last_used_at: number | null;
}

export interface SocialAccountTable {
  id: Generated<number>;
  user_id: number;
  provider: string;
  uid: string;
  extra_data: string;
  date_joined: number;
  last_login: number | null;
}

/**
 * A code mailed (or texted) to a person and what it may still do: how many guesses are left,
 * resends and changes made. Only the code's hash is kept.
 */
export interface CodeProcessTable {
  id: Generated<number>;
  /** Which process: "login_by_code", "email_verification", "password_reset", "phone_verification". */
  kind: string;
  /** null for an enumeration decoy (no account behind the address). */
  user_id: number | null;
  /** Where the code went: an email address, or a phone number (E.164). */
  recipient: string;
  /** Hash of the current code; null for a decoy, which no code completes. */
  code_hash: string | null;
  /** Guesses claimed so far; a guess is claimed (atomically) before it is checked. */
  attempts: number;
  max_attempts: number;
  resends: number;
  changes: number;
  /** JSON of the kind's own state. */
  data: string;
  created_at: number;
  expires_at: number;
  /** Set when the process was completed or aborted: it then accepts nothing. */
  ended_at: number | null;
}

/** A user's phone number (at most one per user). */
export interface PhoneNumberTable {
  id: Generated<number>;
  user_id: number;
  /** E.164 ("+31612345678"); unique among verified numbers. */
  phone: string;
  verified: number;
}

/**
 * Single-use values of the social flows, found by their hash: a redirect's state (with the hash of
 * the browser binding it belongs to) and the ids of id_tokens already used. Expired rows are
 * deleted as new ones are written.
 */
export interface SocialStateTable {
  id: Generated<number>;
  /** SHA-256 of the value (a state, or an id_token's issuer and jti), base64url. */
  key_hash: string;
  /** SHA-256 of the browser binding a redirect state belongs to; null for id_token ids. */
  binding_hash: string | null;
  /** JSON of the flow's state. */
  data: string;
  created_at: number;
  expires_at: number;
}

/** A provider's tokens for a connected account (socialaccount.storeTokens), encrypted at rest. */
export interface SocialTokenTable {
  id: Generated<number>;
  account_id: number;
  /** The app the tokens were issued to. */
  client_id: string;
  /** The access token, encrypted (AES-256-GCM). */
  token: string;
  /** The refresh token, encrypted; null when the provider gave none. */
  token_secret: string | null;
  /** Epoch ms; null when the provider did not say. */
  expires_at: number | null;
}
