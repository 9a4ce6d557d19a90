import { randomToken } from "../core/crypto.js";
import type { AuthenticationMethod } from "../core/wire.js";
import type { SessionUser } from "../store/session-users.js";

/** A login between its first factor and its last stage (see base/login.ts). */
export interface PendingLogin {
  userId: number;
  /** Records earned so far; they become the session's `methods` when the login completes. */
  records: AuthenticationMethod[];
  /** The stage waiting for the client, if any. */
  stage: string | null;
  /** Stages already completed, in order. */
  done: string[];
  /** Epoch ms; the whole login must finish within account.loginTimeout. */
  startedAt: number;
  /** True when the login follows a signup (signup stages and signup mails). */
  signup: boolean;
  /** The address the login is about (verification, code login). */
  email?: string;
  /** Per-stage state (codes, attempts), keyed by stage. */
  state: Record<string, unknown>;
}

/** What a session holds besides its user. Areas keep their own keys (e.g. "mfa.totp"). */
export interface SessionData {
  methods?: AuthenticationMethod[];
  login?: PendingLogin;
  [key: string]: unknown;
}

/**
 * A server-side session for one request. Changes are tracked so the session is written only when
 * something changed; the token is rotated at login and reauthentication (`cycleKey`).
 */
export class Session {
  /** Row id (public, shown by usersessions); null until first saved. */
  rowId: number | null;
  /** The token as the client holds it; a new one is minted on save when null. */
  token: string | null;
  /** Who is logged in, as the session row keeps it; null when anonymous. */
  user: SessionUser | null;
  /** The user changed in this request (a login): the row's user and its copy must be written. */
  userChanged = false;
  data: SessionData;
  createdAt: number;
  lastSeenAt: number;
  /** Row to delete on commit (logout, or a key cycle that starts a new row). */
  discardedRowId: number | null = null;
  modified = false;
  /** The token changed in this request (new session or rotation): it must be handed out. */
  tokenChanged = false;

  /** SHA-256 of the token the row held when this request loaded it (guards the write-back). */
  storedTokenHash: string | null;

  constructor(init: {
    rowId: number | null;
    storedTokenHash?: string | null;
    token: string | null;
    user: SessionUser | null;
    data: SessionData;
    createdAt: number;
    lastSeenAt: number;
  }) {
    this.rowId = init.rowId;
    this.storedTokenHash = init.storedTokenHash ?? null;
    this.token = init.token;
    this.user = init.user;
    this.data = init.data;
    this.createdAt = init.createdAt;
    this.lastSeenAt = init.lastSeenAt;
  }

  static fresh(now: number): Session {
    return new Session({ rowId: null, token: null, user: null, data: {}, createdAt: now, lastSeenAt: now });
  }

  get userId(): number | null {
    return this.user?.id ?? null;
  }

  /** Logs the session in as `user` (or, with null, makes it anonymous). */
  setUser(user: SessionUser | null): void {
    this.user = user;
    this.userChanged = true;
    this.modified = true;
  }

  get<T>(key: string): T | undefined {
    return this.data[key] as T | undefined;
  }

  set(key: string, value: unknown): void {
    this.data[key] = value;
    this.modified = true;
  }

  delete(key: string): void {
    if (key in this.data) {
      delete this.data[key];
      this.modified = true;
    }
  }

  /** Marks nested changes (e.g. to `data.login`) for saving. */
  touch(): void {
    this.modified = true;
  }

  isEmpty(): boolean {
    return this.userId === null && Object.keys(this.data).length === 0;
  }

  /** New token, same row (Django `cycle_key`): a token seen before login is useless after it. */
  cycleKey(): void {
    if (this.rowId !== null) {
      this.token = randomToken();
      this.tokenChanged = true;
    }
    this.modified = true;
  }

  /** Logout: the row goes, and what follows is a new anonymous session (Django `flush`). */
  flush(now: number): void {
    if (this.rowId !== null) this.discardedRowId = this.rowId;
    this.rowId = null;
    this.storedTokenHash = null;
    this.token = null;
    this.user = null;
    this.userChanged = false;
    this.data = {};
    this.createdAt = now;
    this.lastSeenAt = now;
    this.modified = false;
    this.tokenChanged = false;
  }

  /** Mints the token of a session about to be inserted. */
  ensureToken(): string {
    if (this.token === null) {
      this.token = randomToken();
      this.tokenChanged = true;
    }
    return this.token;
  }
}
