import type { Dialect } from "kysely";
import type pg from "pg";

export type DialectName = "sqlite" | "postgres";

/**
 * What differs between the databases Latchkey runs on; everything else is written once, in
 * Kysely. Each implementation lives in dialects/.
 */
export interface StoreDialect {
  readonly name: DialectName;
  /** Kysely's driver for this database. */
  readonly kysely: Dialect;
  /** The connection pool (PostgreSQL only), shared with the PostgreSQL rate-limit store. */
  readonly pool?: pg.Pool;
  /**
   * Runs one precompiled read through a cached prepared statement, bypassing Kysely (which
   * prepares every query anew): the fast path of the queries on every request.
   */
  preparedRows<Row>(name: string, query: { sql: string; parameters: readonly unknown[] }): Promise<Row[]>;
}
