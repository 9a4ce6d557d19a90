import { type Kysely, type Migration, sql } from "kysely";

export type DialectName = "sqlite" | "postgres";

/** Column types that differ between the two dialects. */
export interface SchemaContext {
  dialect: DialectName;
  /** Prefixes a table or index name. */
  t: (name: string) => string;
}

type VersionedMigration = (ctx: SchemaContext) => Migration;

const id = (ctx: SchemaContext) => (ctx.dialect === "postgres" ? "serial" : "integer");
const time = (ctx: SchemaContext) => (ctx.dialect === "postgres" ? "bigint" : "integer");

/** Versioned migrations, in order. Never edit a published one: add the next. */
export const migrations: Record<string, VersionedMigration> = {
  "0001_core": (ctx) => ({
    async up(db: Kysely<unknown>) {
      const { t } = ctx;
      const pk = (c: import("kysely").ColumnDefinitionBuilder) =>
        ctx.dialect === "sqlite" ? c.primaryKey().autoIncrement() : c.primaryKey();

      await db.schema
        .createTable(t("user"))
        .addColumn("id", id(ctx), pk)
        .addColumn("username", "text")
        .addColumn("username_lower", "text", (c) => c.unique())
        .addColumn("password", "text")
        .addColumn("is_active", "integer", (c) => c.notNull().defaultTo(1))
        .addColumn("date_joined", time(ctx), (c) => c.notNull())
        .addColumn("last_login", time(ctx))
        .execute();

      await db.schema
        .createTable(t("email_address"))
        .addColumn("id", id(ctx), pk)
        .addColumn("user_id", "integer", (c) =>
          c
            .notNull()
            .references(`${t("user")}.id`)
            .onDelete("cascade"),
        )
        .addColumn("email", "text", (c) => c.notNull())
        .addColumn("email_lower", "text", (c) => c.notNull())
        .addColumn("verified", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("is_primary", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createIndex(t("email_address_user_idx"))
        .on(t("email_address"))
        .columns(["user_id", "email_lower"])
        .unique()
        .execute();
      // Uniqueness across accounts holds for addresses that identify an account (primary or
      // verified): concurrent signups with one email cannot both win. A secondary unverified
      // address may be claimed by several accounts until one verifies it.
      await db.schema
        .createIndex(t("email_address_unique_idx"))
        .on(t("email_address"))
        .column("email_lower")
        .unique()
        .where(sql.ref("is_primary"), "=", 1)
        .execute();
      await db.schema
        .createIndex(t("email_address_verified_idx"))
        .on(t("email_address"))
        .column("email_lower")
        .unique()
        .where(sql.ref("verified"), "=", 1)
        .execute();

      await db.schema
        .createTable(t("session"))
        .addColumn("id", id(ctx), pk)
        .addColumn("token_hash", "text", (c) => c.notNull().unique())
        .addColumn("user_id", "integer", (c) => c.references(`${t("user")}.id`).onDelete("cascade"))
        .addColumn("data", "text", (c) => c.notNull())
        .addColumn("created_at", time(ctx), (c) => c.notNull())
        .addColumn("last_seen_at", time(ctx), (c) => c.notNull())
        .addColumn("expires_at", time(ctx), (c) => c.notNull())
        .addColumn("ip", "text", (c) => c.notNull())
        .addColumn("user_agent", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex(t("session_user_idx")).on(t("session")).column("user_id").execute();
      await db.schema.createIndex(t("session_expires_idx")).on(t("session")).column("expires_at").execute();

      await db.schema
        .createTable(t("token"))
        .addColumn("id", id(ctx), pk)
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("token_hash", "text", (c) => c.notNull().unique())
        .addColumn("user_id", "integer", (c) => c.references(`${t("user")}.id`).onDelete("cascade"))
        .addColumn("email", "text")
        .addColumn("data", "text", (c) => c.notNull())
        .addColumn("created_at", time(ctx), (c) => c.notNull())
        .addColumn("expires_at", time(ctx), (c) => c.notNull())
        .addColumn("used_at", time(ctx))
        .execute();
      await db.schema.createIndex(t("token_user_idx")).on(t("token")).columns(["user_id", "kind"]).execute();

      await db.schema
        .createTable(t("authenticator"))
        .addColumn("id", id(ctx), pk)
        .addColumn("user_id", "integer", (c) =>
          c
            .notNull()
            .references(`${t("user")}.id`)
            .onDelete("cascade"),
        )
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("data", "text", (c) => c.notNull())
        .addColumn("created_at", time(ctx), (c) => c.notNull())
        .addColumn("last_used_at", time(ctx))
        .execute();
      await db.schema
        .createIndex(t("authenticator_user_idx"))
        .on(t("authenticator"))
        .columns(["user_id", "type"])
        .execute();

      await db.schema
        .createTable(t("social_account"))
        .addColumn("id", id(ctx), pk)
        .addColumn("user_id", "integer", (c) =>
          c
            .notNull()
            .references(`${t("user")}.id`)
            .onDelete("cascade"),
        )
        .addColumn("provider", "text", (c) => c.notNull())
        .addColumn("uid", "text", (c) => c.notNull())
        .addColumn("extra_data", "text", (c) => c.notNull())
        .addColumn("date_joined", time(ctx), (c) => c.notNull())
        .addColumn("last_login", time(ctx))
        .execute();
      await db.schema
        .createIndex(t("social_account_uid_idx"))
        .on(t("social_account"))
        .columns(["provider", "uid"])
        .unique()
        .execute();
    },
  }),
  "0002_authenticator_type_unique": (ctx) => ({
    // One TOTP and one set of recovery codes per user (allauth's authenticator_type_uniq), so
    // concurrent activations cannot both insert.
    async up(db: Kysely<unknown>) {
      const { t } = ctx;
      await sql`create unique index ${sql.id(t("authenticator_type_unique_idx"))} on ${sql.id(t("authenticator"))} (user_id, type) where type in ('totp', 'recovery_codes')`.execute(
        db,
      );
    },
  }),
  "0003_code_process": (ctx) => ({
    // Codes mailed to people (login, verification, reset by code) and their attempt counters. The
    // counters live here, not in the session, so concurrent guesses are counted atomically.
    async up(db: Kysely<unknown>) {
      const { t } = ctx;
      const pk = (c: import("kysely").ColumnDefinitionBuilder) =>
        ctx.dialect === "sqlite" ? c.primaryKey().autoIncrement() : c.primaryKey();
      await db.schema
        .createTable(t("code_process"))
        .addColumn("id", id(ctx), pk)
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("user_id", "integer", (c) => c.references(`${t("user")}.id`).onDelete("cascade"))
        .addColumn("recipient", "text", (c) => c.notNull())
        .addColumn("code_hash", "text")
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("max_attempts", "integer", (c) => c.notNull())
        .addColumn("resends", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("changes", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("data", "text", (c) => c.notNull())
        .addColumn("created_at", time(ctx), (c) => c.notNull())
        .addColumn("expires_at", time(ctx), (c) => c.notNull())
        .addColumn("ended_at", time(ctx))
        .execute();
      await db.schema
        .createIndex(t("code_process_expires_idx"))
        .on(t("code_process"))
        .column("expires_at")
        .execute();
    },
  }),
  "0004_phone": (ctx) => ({
    // One phone number per user, stored E.164. A number identifies one account once verified
    // (a partial unique index, as for verified email addresses): two accounts may claim the same
    // number unverified, and of two concurrent verifications only one wins.
    async up(db: Kysely<unknown>) {
      const { t } = ctx;
      const pk = (c: import("kysely").ColumnDefinitionBuilder) =>
        ctx.dialect === "sqlite" ? c.primaryKey().autoIncrement() : c.primaryKey();
      await db.schema
        .createTable(t("phone_number"))
        .addColumn("id", id(ctx), pk)
        .addColumn("user_id", "integer", (c) =>
          c
            .notNull()
            .unique()
            .references(`${t("user")}.id`)
            .onDelete("cascade"),
        )
        .addColumn("phone", "text", (c) => c.notNull())
        .addColumn("verified", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createIndex(t("phone_number_phone_idx"))
        .on(t("phone_number"))
        .column("phone")
        .execute();
      await db.schema
        .createIndex(t("phone_number_verified_idx"))
        .on(t("phone_number"))
        .column("phone")
        .unique()
        .where(sql.ref("verified"), "=", 1)
        .execute();
    },
  }),
  "0005_social": (ctx) => ({
    // The social area's tables: single-use values of its flows (redirect states, bound to the
    // browser session that started them, and the ids of id_tokens already used), and the
    // providers' tokens of connected accounts (encrypted); an index to list a user's accounts.
    async up(db: Kysely<unknown>) {
      const { t } = ctx;
      const pk = (c: import("kysely").ColumnDefinitionBuilder) =>
        ctx.dialect === "sqlite" ? c.primaryKey().autoIncrement() : c.primaryKey();
      await db.schema
        .createTable(t("social_state"))
        .addColumn("id", id(ctx), pk)
        .addColumn("key_hash", "text", (c) => c.notNull().unique())
        .addColumn("binding_hash", "text")
        .addColumn("data", "text", (c) => c.notNull())
        .addColumn("created_at", time(ctx), (c) => c.notNull())
        .addColumn("expires_at", time(ctx), (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex(t("social_state_expires_idx"))
        .on(t("social_state"))
        .column("expires_at")
        .execute();
      await db.schema
        .createTable(t("social_token"))
        .addColumn("id", id(ctx), pk)
        .addColumn("account_id", "integer", (c) =>
          c
            .notNull()
            .references(`${t("social_account")}.id`)
            .onDelete("cascade"),
        )
        .addColumn("client_id", "text", (c) => c.notNull())
        .addColumn("token", "text", (c) => c.notNull())
        .addColumn("token_secret", "text")
        .addColumn("expires_at", time(ctx))
        .execute();
      await db.schema
        .createIndex(t("social_token_account_idx"))
        .on(t("social_token"))
        .columns(["account_id", "client_id"])
        .unique()
        .execute();
      await db.schema
        .createIndex(t("social_account_user_idx"))
        .on(t("social_account"))
        .column("user_id")
        .execute();
    },
  }),
  "0006_session_user": (ctx) => ({
    // A copy of what a session's user shows, in the session row: a session check is one read.
    // And the user's extra signup fields (createLatchkey's signupFields), as JSON.
    async up(db: Kysely<unknown>) {
      const { t } = ctx;
      await db.schema.alterTable(t("user")).addColumn("extra", "text").execute();
      await db.schema.alterTable(t("session")).addColumn("user_data", "text").execute();
      const rows = await sql<{
        id: number;
        username: string | null;
        password: string | null;
        is_active: number;
        email: string | null;
        verified: number | null;
      }>`
        select u.id, u.username, u.password, u.is_active, e.email, e.verified
        from ${sql.id(t("user"))} u
        left join ${sql.id(t("email_address"))} e on e.user_id = u.id and e.is_primary = 1
        where u.id in (select user_id from ${sql.id(t("session"))} where user_id is not null)`.execute(db);
      for (const row of rows.rows) {
        const data = JSON.stringify({
          username: row.username,
          email: row.email,
          emailVerified: row.verified === 1,
          hasPassword: row.password !== null,
          isActive: row.is_active === 1,
        });
        await sql`update ${sql.id(t("session"))} set user_data = ${data} where user_id = ${row.id}`.execute(
          db,
        );
      }
    },
  }),
};
