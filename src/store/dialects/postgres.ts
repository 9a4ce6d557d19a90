import { PostgresDialect } from "kysely";
import { importOptional } from "../../core/peer.js";
import type { PostgresPool, StoreDialect } from "../dialect.js";

export interface PoolSettings {
  poolSize: number;
  /** statement_timeout of each connection (ms), sent when it connects; null: the server's. */
  statementTimeoutMs: number | null;
}

/**
 * PostgreSQL through a pg pool. pg is an optional peer dependency: it is loaded by connect(),
 * while Latchkey starts. Statements on the request path are named, so each connection parses
 * them once.
 */
export function openPostgres(url: string, tablePrefix: string, settings: PoolSettings): StoreDialect {
  let pool: PostgresPool | undefined;
  let connecting: Promise<PostgresPool> | undefined;
  const connect = (): Promise<PostgresPool> => {
    connecting ??= createPool(url, settings).then(
      (created) => {
        pool = created;
        return created;
      },
      (err: unknown) => {
        connecting = undefined;
        throw err;
      },
    );
    return connecting;
  };
  /** The prepared statements' names, prefixed as the tables are (computed once, not per request). */
  const statementNames = new Map<string, string>();
  return {
    name: "postgres",
    kysely: new PostgresDialect({ pool: connect }),
    get pool() {
      return pool;
    },
    async connect() {
      await connect();
    },
    async preparedRow<Row extends readonly unknown[]>(
      name: string,
      query: { sql: string; parameters: readonly unknown[] },
    ) {
      let statementName = statementNames.get(name);
      if (statementName === undefined) {
        statementName = `${tablePrefix}${name}`.slice(0, 63);
        statementNames.set(name, statementName);
      }
      const result = await (pool ?? (await connect())).query({
        name: statementName,
        text: query.sql,
        values: query.parameters as unknown[],
        rowMode: "array",
      });
      return result.rows[0] as Row | undefined;
    },
    async close() {
      if (pool && !pool.ended) await pool.end();
    },
  };
}

async function createPool(url: string, settings: PoolSettings): Promise<PostgresPool> {
  const { default: pg } = await importOptional("pg", () => import("pg"));
  // pg returns int8 as strings by default; every bigint column here is epoch milliseconds.
  const types = {
    getTypeParser(oid: number, format?: "text" | "binary") {
      if (oid === 20) return (value: string) => Number(value);
      return pg.types.getTypeParser(oid, format);
    },
  };
  const pool = new pg.Pool({
    connectionString: url,
    max: settings.poolSize,
    types,
    ...(settings.statementTimeoutMs !== null ? { statement_timeout: settings.statementTimeoutMs } : {}),
  });
  // A connection lost (a server restart) must not crash the process: an idle client's error is
  // the pool's, and one in use fails its query (answered 503); its error event is then noise.
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
  return pool;
}
