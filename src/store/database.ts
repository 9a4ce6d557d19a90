import { Kysely, type Migration, type MigrationProvider, Migrator, sql } from "kysely";
import type { DialectName, PostgresPool, StoreDialect } from "./dialect.js";
import { openPostgres } from "./dialects/postgres.js";
import { openSqlite } from "./dialects/sqlite.js";
import { migrations } from "./migrations/index.js";
import { TablePrefixPlugin } from "./prefix.js";
import type { Database } from "./tables.js";

export interface StoreOptions {
  url: string;
  tablePrefix: string;
  poolSize?: number;
  /** PostgreSQL's statement_timeout for the pool's connections (ms); null or absent: the server's. */
  statementTimeoutMs?: number | null;
}

/** The database handle every repository uses: typed Kysely with the table prefix applied. */
export interface Store {
  db: Kysely<Database>;
  dialect: DialectName;
  tablePrefix: string;
  /** The PostgreSQL pool (for PostgreSQL-backed rate limits), once connected, when the dialect is postgres. */
  readonly pool: PostgresPool | undefined;
  /** The dialect's fast path for reads on every request (see StoreDialect.preparedRow). */
  preparedRow: StoreDialect["preparedRow"];
  /** Loads the driver and opens the database (see StoreDialect.connect); Latchkey calls it while starting. */
  connect(): Promise<void>;
  /** One round trip to the database (GET {base}/health/ready); rejects when it does not answer. */
  ping(): Promise<void>;
  migrate(): Promise<string[]>;
  close(): Promise<void>;
}

/** The store of the options; nothing is opened until connect() (or the first query). */
export function openStore(options: StoreOptions): Store {
  const { url, tablePrefix } = options;
  const dialect = url.startsWith("sqlite:")
    ? openSqlite(url)
    : openPostgres(url, tablePrefix, {
        poolSize: options.poolSize ?? 10,
        statementTimeoutMs: options.statementTimeoutMs ?? null,
      });
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
    get pool() {
      return dialect.pool;
    },
    preparedRow: dialect.preparedRow,
    connect: () => dialect.connect(),
    async ping() {
      await sql`select 1`.execute(raw);
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
        // Kysely's introspection reads every table of every schema of the database; a schema or
        // table dropped meanwhile (by another application sharing the database) fails it with
        // 3F000 "schema does not exist" or 42P01 "relation does not exist". Nothing was applied
        // then (the migrations run in one transaction).
        const code = (error as { code?: unknown }).code;
        if (attempt >= 5 || (code !== "3F000" && code !== "42P01")) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
      }
    },
    async close() {
      await raw.destroy();
      await dialect.close();
    },
  };
}

/** True when a write failed on a unique constraint (on either database). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}

/** Error codes of a connection that could not be made or was lost, or of a statement that took too long (Node's, and PostgreSQL's SQLSTATE). */
const CONNECTION_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  // admin_shutdown, crash_shutdown, cannot_connect_now (starting up), too_many_connections
  "57P01",
  "57P02",
  "57P03",
  "53300",
  // query_canceled: statement_timeout ran out (or an operator cancelled the statement)
  "57014",
]);

/** What pg throws, without a code, when a connection ends or cannot be had in time. */
const CONNECTION_ERROR_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

/**
 * True when the database could not be reached, or did not answer in time (a statement cancelled
 * by database.statementTimeoutMs), rather than refusing a query: the request that met it is
 * answered 503, to be tried again, instead of 500.
 */
export function isConnectionError(error: unknown): boolean {
  if (error instanceof AggregateError) return error.errors.some(isConnectionError);
  const e = error as { code?: unknown; message?: unknown } | null;
  if (typeof e?.code === "string") return CONNECTION_ERROR_CODES.has(e.code) || e.code.startsWith("08");
  return typeof e?.message === "string" && CONNECTION_ERROR_MESSAGES.test(e.message);
}
