import { PostgresDialect } from "kysely";
import pg from "pg";
import type { StoreDialect } from "../dialect.js";

// pg returns int8 as strings by default; every bigint column here is epoch milliseconds.
const pgTypes = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === 20) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
};

/** PostgreSQL through a pg pool. Statements on the request path are named, so each connection parses them once. */
export function openPostgres(url: string, poolSize: number, tablePrefix: string): StoreDialect {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types: pgTypes });
  // An idle client's error (e.g. server restart) must not crash the process.
  pool.on("error", () => {});
  return {
    name: "postgres",
    kysely: new PostgresDialect({ pool }),
    pool,
    async preparedRows<Row>(name: string, query: { sql: string; parameters: readonly unknown[] }) {
      const result = await pool.query({
        name: `${tablePrefix}${name}`.slice(0, 63),
        text: query.sql,
        values: query.parameters as unknown[],
      });
      return result.rows as Row[];
    },
  };
}
