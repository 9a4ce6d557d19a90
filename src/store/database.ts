import SQLite from "better-sqlite3";
import {
  type Dialect,
  Kysely,
  type Migration,
  type MigrationProvider,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  sql,
} from "kysely";
import pg from "pg";
import { type DialectName, migrations } from "./migrations/index.js";
import { TablePrefixPlugin } from "./prefix.js";
import type { Database } from "./tables.js";

export interface StoreOptions {
  url: string;
  tablePrefix: string;
  poolSize?: number;
}

/** The database handle every area uses: typed Kysely with the table prefix applied. */
export interface Store {
  db: Kysely<Database>;
  dialect: DialectName;
  tablePrefix: string;
  /** The PostgreSQL pool (for PostgreSQL-backed rate limits), when the dialect is postgres. */
  pool?: pg.Pool;
  /** The SQLite connection, when the dialect is sqlite. */
  sqlite?: SQLite.Database;
  /**
   * Runs one precompiled read through a cached prepared statement, bypassing Kysely (which
   * prepares every query anew): for the queries on every request's path.
   */
  preparedRows<Row>(name: string, query: { sql: string; parameters: readonly unknown[] }): Promise<Row[]>;
  migrate(): Promise<string[]>;
  close(): Promise<void>;
}

// pg returns int8 as strings by default; every bigint column here is epoch milliseconds.
const pgTypes = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === 20) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
};

export function openStore(options: StoreOptions): Store {
  const { url, tablePrefix } = options;
  let dialect: Dialect;
  let name: DialectName;
  let pool: pg.Pool | undefined;
  let sqlite: SQLite.Database | undefined;
  if (url.startsWith("sqlite:")) {
    name = "sqlite";
    const file = url.slice("sqlite:".length) || ":memory:";
    sqlite = new SQLite(file);
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma("busy_timeout = 5000");
    sqlite.pragma("synchronous = NORMAL");
    sqlite.pragma("foreign_keys = ON");
    dialect = new SqliteDialect({ database: sqlite });
  } else {
    name = "postgres";
    pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, types: pgTypes });
    // An idle client's error (e.g. server restart) must not crash the process.
    pool.on("error", () => {});
    dialect = new PostgresDialect({ pool });
  }
  const raw = new Kysely<unknown>({ dialect });
  const db = raw.withPlugin(new TablePrefixPlugin(tablePrefix)) as unknown as Kysely<Database>;
  const t = (n: string) => tablePrefix + n;
  const statements = new Map<string, SQLite.Statement>();

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
    ...(pool ? { pool } : {}),
    ...(sqlite ? { sqlite } : {}),
    async preparedRows<Row>(statementName: string, query: { sql: string; parameters: readonly unknown[] }) {
      if (sqlite) {
        let statement = statements.get(query.sql);
        if (!statement) {
          statement = sqlite.prepare(query.sql);
          statements.set(query.sql, statement);
        }
        return statement.all(...(query.parameters as unknown[])) as Row[];
      }
      // A named statement is parsed once per connection and reused after.
      const result = await pool!.query({
        name: `${tablePrefix}${statementName}`.slice(0, 63),
        text: query.sql,
        values: query.parameters as unknown[],
      });
      return result.rows as Row[];
    },
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

/** True when a write failed on a unique constraint (both dialects). */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}
