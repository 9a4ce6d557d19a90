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
  /** Which process: "login_by_code", "email_verification", "password_reset". */
  kind: string;
  /** null for an enumeration decoy (no account behind the address). */
  user_id: number | null;
  /** Where the code went (an email address). */
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
