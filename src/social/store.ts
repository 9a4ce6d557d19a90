import type { Kysely } from "kysely";
import { isUniqueViolation } from "../store/database.js";
import type { Database } from "../store/tables.js";
import type { TokenCipher } from "./cipher.js";
import type { ProviderData, ProviderTokens } from "./providers/types.js";

/** A connected provider account. */
export interface SocialAccount {
  id: number;
  userId: number;
  provider: string;
  uid: string;
  extraData: ProviderData;
}

function parseExtra(text: string): ProviderData {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as ProviderData)
      : {};
  } catch {
    return {};
  }
}

function toAccount(row: { id: number; user_id: number; provider: string; uid: string; extra_data: string }) {
  return {
    id: row.id,
    userId: row.user_id,
    provider: row.provider,
    uid: row.uid,
    extraData: parseExtra(row.extra_data),
  } satisfies SocialAccount;
}

const accountColumns = ["id", "user_id", "provider", "uid", "extra_data"] as const;

/**
 * The social_account and social_token tables. A provider account belongs to one user (the unique
 * index on provider and uid settles races between two first logins); its tokens are stored only
 * encrypted.
 */
export class SocialAccounts {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly cipher: TokenCipher | null,
  ) {}

  async find(provider: string, uid: string): Promise<SocialAccount | null> {
    const row = await this.db
      .selectFrom("social_account")
      .select(accountColumns)
      .where("provider", "=", provider)
      .where("uid", "=", uid)
      .executeTakeFirst();
    return row ? toAccount(row) : null;
  }

  /** The user's accounts, in the order they were connected. */
  async list(userId: number): Promise<SocialAccount[]> {
    const rows = await this.db
      .selectFrom("social_account")
      .select(accountColumns)
      .where("user_id", "=", userId)
      .orderBy("id")
      .execute();
    return rows.map(toAccount);
  }

  /** Connects a provider account to a user; null when the account is connected already (to anyone). */
  async create(userId: number, provider: string, uid: string, extraData: ProviderData, now: number) {
    try {
      const row = await this.db
        .insertInto("social_account")
        .values({
          user_id: userId,
          provider,
          uid,
          extra_data: JSON.stringify(extraData),
          date_joined: now,
          last_login: now,
        })
        .returning(accountColumns)
        .executeTakeFirstOrThrow();
      return toAccount(row);
    } catch (err) {
      if (isUniqueViolation(err)) return null;
      throw err;
    }
  }

  /** What the provider said at the latest login (allauth refreshes extra_data on every one). */
  async refresh(accountId: number, extraData: ProviderData, now: number): Promise<void> {
    await this.db
      .updateTable("social_account")
      .set({ extra_data: JSON.stringify(extraData), last_login: now })
      .where("id", "=", accountId)
      .execute();
  }

  async remove(accountId: number): Promise<void> {
    await this.db.deleteFrom("social_account").where("id", "=", accountId).execute();
  }

  /**
   * Keeps an account's tokens for the app, encrypted; a refresh token the provider did not send
   * again is kept (allauth's `_store_token`). Nothing is stored without a cipher (storeTokens off).
   */
  async storeTokens(accountId: number, clientId: string, tokens: ProviderTokens): Promise<void> {
    const cipher = this.cipher;
    if (!cipher) return;
    const values = {
      token: cipher.encrypt(tokens.accessToken),
      expires_at: tokens.expiresAt,
      ...(tokens.refreshToken !== null ? { token_secret: cipher.encrypt(tokens.refreshToken) } : {}),
    };
    const update = () =>
      this.db
        .updateTable("social_token")
        .set(values)
        .where("account_id", "=", accountId)
        .where("client_id", "=", clientId)
        .executeTakeFirst();
    if (Number((await update()).numUpdatedRows) > 0) return;
    try {
      await this.db
        .insertInto("social_token")
        .values({ account_id: accountId, client_id: clientId, token_secret: null, ...values })
        .execute();
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      await update();
    }
  }

  /** The stored tokens of a user's account at a provider (decrypted), or null. */
  async tokens(userId: number, provider: string): Promise<(ProviderTokens & { clientId: string }) | null> {
    const cipher = this.cipher;
    if (!cipher) return null;
    const row = await this.db
      .selectFrom("social_token as t")
      .innerJoin("social_account as a", "a.id", "t.account_id")
      .select(["t.client_id", "t.token", "t.token_secret", "t.expires_at"])
      .where("a.user_id", "=", userId)
      .where("a.provider", "=", provider)
      .orderBy("t.id", "desc")
      .executeTakeFirst();
    if (!row) return null;
    const accessToken = cipher.decrypt(row.token);
    if (accessToken === null) return null;
    return {
      clientId: row.client_id,
      accessToken,
      refreshToken: row.token_secret === null ? null : cipher.decrypt(row.token_secret),
      expiresAt: row.expires_at === null ? null : Number(row.expires_at),
    };
  }

  /**
   * Undoes a user created for a signup whose provider account another request connected first
   * (its addresses and sessions go with it).
   */
  async discardUser(userId: number): Promise<void> {
    await this.db.deleteFrom("user").where("id", "=", userId).execute();
  }
}

/** The social_state table: single-use values found by their hash (see SocialStateTable). */
export class SocialStates {
  constructor(private readonly db: Kysely<Database>) {}

  /** Stores a redirect's state; expired rows go on the way, so the table stays small. */
  async create(keyHash: string, bindingHash: string, data: ProviderData, now: number, ttlMs: number) {
    await this.db.deleteFrom("social_state").where("expires_at", "<=", now).execute();
    await this.db
      .insertInto("social_state")
      .values({
        key_hash: keyHash,
        binding_hash: bindingHash,
        data: JSON.stringify(data),
        created_at: now,
        expires_at: now + ttlMs,
      })
      .execute();
  }

  /** A live state, whoever holds it (to answer for it before it is claimed). */
  async find(keyHash: string, now: number): Promise<ProviderData | null> {
    const row = await this.db
      .selectFrom("social_state")
      .select("data")
      .where("key_hash", "=", keyHash)
      .where("binding_hash", "is not", null)
      .where("expires_at", ">", now)
      .executeTakeFirst();
    return row ? parseExtra(row.data) : null;
  }

  /** Adds to a live state's data (what a provider form-posts before the browser comes back with its cookie). */
  async attach(keyHash: string, data: ProviderData, now: number): Promise<void> {
    await this.db
      .updateTable("social_state")
      .set({ data: JSON.stringify(data) })
      .where("key_hash", "=", keyHash)
      .where("binding_hash", "is not", null)
      .where("expires_at", ">", now)
      .execute();
  }

  /**
   * Takes a live state for the browser binding that started it, deleting it in the same
   * statement: of two callbacks with one state only one gets it. Null when it is unknown, spent,
   * expired, or another browser's.
   */
  async claim(keyHash: string, bindingHash: string, now: number): Promise<ProviderData | null> {
    const row = await this.db
      .deleteFrom("social_state")
      .where("key_hash", "=", keyHash)
      .where("binding_hash", "=", bindingHash)
      .where("expires_at", ">", now)
      .returning("data")
      .executeTakeFirst();
    return row ? parseExtra(row.data) : null;
  }

  /** Records a value seen once (an id_token's id) until it expires; false when it was seen before. */
  async remember(keyHash: string, expiresAt: number, now: number): Promise<boolean> {
    await this.db.deleteFrom("social_state").where("expires_at", "<=", now).execute();
    try {
      await this.db
        .insertInto("social_state")
        .values({ key_hash: keyHash, binding_hash: null, data: "{}", created_at: now, expires_at: expiresAt })
        .execute();
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }
}
