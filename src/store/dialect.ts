import type { Dialect, PostgresPool as KyselyPostgresPool } from "kysely";

export type DialectName = "sqlite" | "postgres";

/**
 * What Latchkey uses of a pg `Pool`. Typed here rather than imported from pg, so that the public
 * declarations do not need pg's types in applications that never install it.
 */
export interface PostgresPool extends KyselyPostgresPool {
  query(text: string): Promise<{ rows: unknown[] }>;
  query(config: {
    name: string;
    text: string;
    values: unknown[];
    rowMode: "array";
  }): Promise<{ rows: unknown[] }>;
  readonly ended: boolean;
}

/**
 * What differs between the databases Latchkey runs on; everything else is written once, in
 * Kysely. Each implementation lives in dialects/.
 */
export interface StoreDialect {
  readonly name: DialectName;
  /** Kysely's driver for this database (it connects through connect()). */
  readonly kysely: Dialect;
  /** The connection pool (PostgreSQL only, once connected), shared with the PostgreSQL rate-limit store. */
  readonly pool: PostgresPool | undefined;
  /**
   * Loads the driver and opens the database or the pool. Called while Latchkey starts, and again
   * after a failure; a no-op once it has succeeded.
   */
  connect(): Promise<void>;
  /**
   * Runs one precompiled read through a cached prepared statement, bypassing Kysely (which
   * prepares every query anew): the fast path of the queries on every request. Its first row as
   * the array of its values in the order selected (no object keyed by column names is built), or
   * undefined.
   */
  preparedRow<Row extends readonly unknown[]>(
    name: string,
    query: { sql: string; parameters: readonly unknown[] },
  ): Promise<Row | undefined>;
  /** Releases what connect() opened and Kysely did not (Kysely closes what it used). */
  close(): Promise<void>;
}
