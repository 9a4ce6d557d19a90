import type { CompiledQuery } from "kysely";
import { randomToken, safeEqual, sha256 } from "../core/crypto.js";
import type { Store } from "../store/database.js";
import { type SessionUser, snapshotFrom, snapshotOf } from "../store/session-users.js";
import { Session, type SessionData } from "./session.js";

export interface SessionLifetimes {
  /** Seconds of inactivity after which a session ends. */
  idleTimeout: number;
  /** Seconds after creation after which a session ends. */
  maxAge: number;
}

export interface ClientInfo {
  ip: string;
  userAgent: string;
}

/**
 * Session-data key of a short life for an anonymous session (`ShortLife`). Anonymous state is
 * flow state with its own timeout: a session created for it alone needs no row that outlives it.
 */
export const SHORT_LIFE = "session.short_life";

/**
 * While the session is anonymous and holds nothing but `keys`, its row expires at `until` (epoch
 * ms) at the latest; once it logs in or takes other state, it has the normal lifetime.
 */
export interface ShortLife {
  until: number;
  keys: string[];
}

/**
 * A secret a session holds besides its token, kept in its data under a key of its own (the compact
 * API's access, refresh and pending-login tokens): only the SHA-256 of the secret, and when it was
 * issued. The client holds `<row id>.<secret>`, which names the row without being its token, so it
 * never works as an X-Session-Token or a session cookie.
 */
export interface HeldSecret {
  hash: string;
  /** Epoch ms. */
  issued_at: number;
}

const HELD_SECRET = /^([1-9][0-9]{0,14})\.([A-Za-z0-9_-]{43})$/;

/** A new `<row id>.<secret>` for a saved session, and what the session keeps of it. */
export function newHeldSecret(rowId: number, now: number): { credential: string; held: HeldSecret } {
  const secret = randomToken();
  return { credential: `${rowId}.${secret}`, held: { hash: sha256(secret), issued_at: now } };
}

/** Whether a credential has the form of a `<row id>.<secret>` (nothing hashed or read). */
export function isHeldSecret(credential: string): boolean {
  return HELD_SECRET.test(credential);
}

/** The row id and the secret's hash of a `<row id>.<secret>`; null for anything else. */
export function parseHeldSecret(credential: string): { rowId: number; hash: string } | null {
  const match = HELD_SECRET.exec(credential);
  return match ? { rowId: Number(match[1]), hash: sha256(match[2]!) } : null;
}

/** `last_seen_at` is written at most this often, not on every request: a session check stays one read. */
const LAST_SEEN_RESOLUTION_MS = 60_000;
/** Placeholders of the precompiled load queries' parameters. */
const TOKEN_PARAMETER = "\u0000token";
const ROW_PARAMETER = -424242;

/** A session as GET /auth/sessions lists it (times epoch ms). */
export interface SessionSummary {
  id: number;
  ip: string;
  user_agent: string;
  created_at: number;
  last_seen_at: number;
}

export interface LoadedSession {
  session: Session;
  /** The session's user, when it is logged in and the user is active. */
  user: SessionUser | null;
}

/**
 * A session row as the load queries select it, in this order (an array: no object keyed by
 * column names is built on every request); `token_hash` only when loaded by row id.
 */
type LoadedRow = readonly [
  id: number,
  user_id: number | null,
  user_data: string | null,
  data: string,
  created_at: number,
  last_seen_at: number,
  expires_at: number,
  token_hash?: string,
];

/**
 * Server-side sessions, stored by the SHA-256 of their token. Loading a session is one indexed
 * read of one row (which keeps a copy of what its user shows), compiled once and re-executed with
 * new parameters: it runs on every authenticated request.
 */
export class SessionStore {
  private readonly loadQuery: CompiledQuery;
  private readonly tokenIndex: number;
  private readonly loadByRowQuery: CompiledQuery;
  private readonly rowIndex: number;

  constructor(
    private readonly store: Store,
    private readonly lifetimes: SessionLifetimes,
  ) {
    // Only what the answer and the write-back need, in LoadedRow's order: the token's hash is
    // known when the token is.
    const columns = [
      "s.id",
      "s.user_id",
      "s.user_data",
      "s.data",
      "s.created_at",
      "s.last_seen_at",
      "s.expires_at",
    ] as const;
    this.loadQuery = store.db
      .selectFrom("session as s")
      .select(columns)
      .where("s.token_hash", "=", TOKEN_PARAMETER)
      .compile();
    this.tokenIndex = this.loadQuery.parameters.indexOf(TOKEN_PARAMETER);
    this.loadByRowQuery = store.db
      .selectFrom("session as s")
      .select([...columns, "s.token_hash"])
      .where("s.id", "=", ROW_PARAMETER)
      .compile();
    this.rowIndex = this.loadByRowQuery.parameters.indexOf(ROW_PARAMETER);
  }

  /** The live session for a token, with its user when the user is still active; null when unknown or expired. */
  async load(token: string, now: number): Promise<LoadedSession | null> {
    const tokenHash = sha256(token);
    return this.loadWith(this.loadQuery, this.tokenIndex, tokenHash, token, tokenHash, now);
  }

  /** The live session of a row id (a verified JWT's `sid`); its token stays unknown. */
  async loadByRow(rowId: number, now: number): Promise<LoadedSession | null> {
    return this.loadWith(this.loadByRowQuery, this.rowIndex, rowId, null, null, now);
  }

  /**
   * The live session a held secret names (`<row id>.<secret>`, see HeldSecret): one read by row
   * id, then the secret's hash compared in constant time with the one kept under `key`. Null when
   * the row is gone or expired, the secret differs, or it was issued `maxAgeMs` ago or more.
   */
  async loadBySecret(
    credential: string,
    key: string,
    now: number,
    maxAgeMs = Number.POSITIVE_INFINITY,
  ): Promise<LoadedSession | null> {
    const parsed = parseHeldSecret(credential);
    if (!parsed) return null;
    const loaded = await this.loadByRow(parsed.rowId, now);
    const held = loaded?.session.get<HeldSecret>(key);
    if (typeof held?.hash !== "string" || typeof held.issued_at !== "number") return null;
    if (!safeEqual(held.hash, parsed.hash) || now - held.issued_at >= maxAgeMs) return null;
    return loaded;
  }

  private async loadWith(
    compiled: CompiledQuery,
    index: number,
    value: unknown,
    token: string | null,
    tokenHash: string | null,
    now: number,
  ): Promise<LoadedSession | null> {
    const parameters = compiled.parameters.length === 1 ? [value] : [...compiled.parameters];
    parameters[index] = value;
    const name = compiled === this.loadQuery ? "session_by_token" : "session_by_row";
    const row = await this.store.preparedRow<LoadedRow>(name, { sql: compiled.sql, parameters });
    if (!row) return null;
    const [id, userId, userData, data, createdAt, lastSeenAt, expiresAt] = row;
    if (expiresAt <= now) {
      await this.store.db.deleteFrom("session").where("id", "=", id).execute();
      return null;
    }
    const user = userId === null ? null : snapshotFrom(userId, userData);
    const active = user?.isActive ? user : null;
    const session = new Session({
      rowId: id,
      storedTokenHash: tokenHash ?? row[7]!,
      token,
      user: active,
      data: JSON.parse(data) as SessionData,
      createdAt,
      lastSeenAt,
    });
    if (userId !== null && active === null) {
      // The user was deactivated or deleted: the session no longer authenticates anyone.
      session.setUser(null);
      session.data = {};
    }
    return { session, user: active };
  }

  /**
   * Writes what the request changed: deletes a flushed row, inserts a new session, updates a
   * changed one. A session that has logged in drops its short life.
   *
   * An update applies only while the row still has the token the request loaded it with: when a
   * concurrent request rotated it (a login, a reauthentication), this request's view of the
   * session is stale and writing it back would undo that login, so nothing is written.
   */
  async commit(session: Session, client: ClientInfo, now: number): Promise<void> {
    const db = this.store.db;
    if (session.userId !== null) session.delete(SHORT_LIFE);
    if (session.discardedRowId !== null) {
      await db.deleteFrom("session").where("id", "=", session.discardedRowId).execute();
      session.discardedRowId = null;
    }
    if (session.rowId === null) {
      if (!session.modified || session.isEmpty()) return;
      const token = session.ensureToken();
      const row = await db
        .insertInto("session")
        .values({
          token_hash: sha256(token),
          user_id: session.userId,
          user_data: session.user ? snapshotOf(session.user) : null,
          data: JSON.stringify(session.data),
          created_at: session.createdAt,
          last_seen_at: now,
          expires_at: this.expiry(session, now),
          ip: client.ip,
          user_agent: client.userAgent.slice(0, 512),
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      session.rowId = row.id;
      session.storedTokenHash = sha256(token);
    } else if (session.modified) {
      const tokenHash = session.tokenChanged && session.token !== null ? sha256(session.token) : null;
      await db
        .updateTable("session")
        .set({
          ...(tokenHash !== null ? { token_hash: tokenHash } : {}),
          // The user's copy is written when the session logs in; later changes to the user
          // refresh it themselves, so a request never writes back a copy it read before them.
          ...(session.userChanged
            ? { user_id: session.userId, user_data: session.user ? snapshotOf(session.user) : null }
            : {}),
          data: JSON.stringify(session.data),
          last_seen_at: now,
          expires_at: this.expiry(session, now),
          ip: client.ip,
          user_agent: client.userAgent.slice(0, 512),
        })
        .where("id", "=", session.rowId)
        .where("token_hash", "=", session.storedTokenHash!)
        .execute();
      if (tokenHash !== null) session.storedTokenHash = tokenHash;
    } else if (now - session.lastSeenAt >= LAST_SEEN_RESOLUTION_MS) {
      await db
        .updateTable("session")
        .set({ last_seen_at: now, expires_at: this.expiry(session, now) })
        .where("id", "=", session.rowId)
        .where("token_hash", "=", session.storedTokenHash!)
        .execute();
    }
    session.lastSeenAt = now;
    session.modified = false;
    session.userChanged = false;
  }

  private expiry(session: Session, now: number): number {
    const normal = Math.min(
      now + this.lifetimes.idleTimeout * 1000,
      session.createdAt + this.lifetimes.maxAge * 1000,
    );
    const short = shortLifeEnd(session);
    return short === null ? normal : Math.min(normal, short);
  }

  /** The live sessions of a user, oldest first (GET /auth/sessions). */
  async listForUser(userId: number, now: number): Promise<SessionSummary[]> {
    return this.store.db
      .selectFrom("session")
      .select(["id", "ip", "user_agent", "created_at", "last_seen_at"])
      .where("user_id", "=", userId)
      .where("expires_at", ">", now)
      .orderBy("id")
      .execute();
  }

  /** Ends every session, logged in or not; how many there were. */
  async deleteAll(): Promise<number> {
    const result = await this.store.db.deleteFrom("session").executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Ends the given sessions of a user; ids of other users' sessions are ignored. */
  async deleteRowsForUser(userId: number, rowIds: readonly number[]): Promise<void> {
    if (rowIds.length === 0) return;
    await this.store.db
      .deleteFrom("session")
      .where("user_id", "=", userId)
      .where("id", "in", [...rowIds])
      .execute();
  }

  /**
   * The active user of a live session row: null when the row is gone, expired, anonymous, or its
   * user is inactive. One indexed read (stateful access-token validation).
   */
  async liveUserId(rowId: number, now: number): Promise<number | null> {
    const row = await this.store.db
      .selectFrom("session as s")
      .innerJoin("user as u", "u.id", "s.user_id")
      .select(["s.user_id"])
      .where("s.id", "=", rowId)
      .where("s.expires_at", ">", now)
      .where("u.is_active", "=", 1)
      .executeTakeFirst();
    return row?.user_id ?? null;
  }

  /**
   * Replaces a session's data only if it still holds `expected` (JSON as stored), so two requests
   * racing to rotate the same refresh token cannot both win. False when it changed or is gone.
   * With `newTokenHash` the row's token hash changes too, and with it the guard of every request
   * that loaded the session before (see commit): none of them can write the old data back. Only
   * for sessions whose token nobody holds (the compact API's).
   */
  async replaceData(rowId: number, expected: string, next: string, newTokenHash?: string): Promise<boolean> {
    const result = await this.store.db
      .updateTable("session")
      .set({ data: next, ...(newTokenHash !== undefined ? { token_hash: newTokenHash } : {}) })
      .where("id", "=", rowId)
      .where("data", "=", expected)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Removes expired rows; run periodically by the server. */
  async purgeExpired(now: number): Promise<number> {
    const result = await this.store.db
      .deleteFrom("session")
      .where("expires_at", "<=", now)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

/** When the session's short life ends, or null when it has the normal lifetime. */
function shortLifeEnd(session: Session): number | null {
  const short = session.get<ShortLife>(SHORT_LIFE);
  if (session.userId !== null || !short || typeof short.until !== "number" || !Array.isArray(short.keys)) {
    return null;
  }
  const holdsOnly = Object.keys(session.data).every((key) => key === SHORT_LIFE || short.keys.includes(key));
  return holdsOnly ? short.until : null;
}
