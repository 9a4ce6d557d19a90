import { Kysely, type Migration, type MigrationProvider, Migrator, sql } from "kysely";
import type pg from "pg";
import type { DialectName, StoreDialect } from "./dialect.js";
import { openPostgres } from "./dialects/postgres.js";
import { openSqlite } from "./dialects/sqlite.js";
import { migrations } from "./migrations/index.js";
import { TablePrefixPlugin } from "./prefix.js";
import type { Database } from "./tables.js";

export interface StoreOptions {
  url: string;
  tablePrefix: string;
  poolSize?: number;
}

/** The database handle every repository uses: typed Kysely with the table prefix applied. */
export interface Store {
  db: Kysely<Database>;
  dialect: DialectName;
  tablePrefix: string;
  /** The PostgreSQL pool (for PostgreSQL-backed rate limits), when the dialect is postgres. */
  pool?: pg.Pool;
  /** The dialect's fast path for reads on every request (see StoreDialect.preparedRows). */
  preparedRows: StoreDialect["preparedRows"];
  migrate(): Promise<string[]>;
  close(): Promise<void>;
}

export function openStore(options: StoreOptions): Store {
  const { url, tablePrefix } = options;
  const dialect = url.startsWith("sqlite:")
    ? openSqlite(url)
    : openPostgres(url, options.poolSize ?? 10, tablePrefix);
  const name = dialect.name;
  const raw = new Kysely<unknown>({ dialect: dialect.kysely });
  const db = raw.withPlugin(new TablePrefixPlugin(tablePrefix)) as unknown as Kysely<Database>;
  const t = (n: string) => tablePrefix + n;

  const provider: MigrationProvider = {
    async getMigrations() {
      const result: Record<string, Migration> = {};
      for (const [key, make] of Object.entries(migrations)) result[key] = make({ dialect: name, t });
      return result;
    },
  };

  return {
    db,
    dialect: name,
    tablePrefix,
    ...(dialect.pool ? { pool: dialect.pool } : {}),
    preparedRows: dialect.preparedRows,
    async migrate() {
      // Kysely looks for its bookkeeping tables in every schema unless told which one: another
      // Latchkey's tables in another schema of the same database would be taken for ours.
      const schema =
        name === "postgres"
          ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(raw)).rows[0]?.schema
          : undefined;
      const migrator = new Migrator({
        db: raw,
        provider,
        migrationTableName: t("migration"),
        migrationLockTableName: t("migration_lock"),
        ...(schema ? { migrationTableSchema: schema } : {}),
      });
      for (let attempt = 1; ; attempt++) {
        const { error, results } = await migrator.migrateToLatest();
        if (!error) return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
        // Kysely's introspection checks privileges on every schema of the database; one dropped
        // meanwhile (by another application sharing the database) fails it with 3F000 "schema
        // does not exist". Nothing was applied then (the migrations run in one transaction).
        if (attempt >= 5 || (error as { code?: unknown }).code !== "3F000") throw error;
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
      }
    },
    async close() {
      await raw.destroy();
    },
  };
}

/** True when a write failed on a unique constraint (on either database). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}
