import SQLite from "better-sqlite3";
import { SqliteDialect } from "kysely";
import type { StoreDialect } from "../dialect.js";

/**
 * SQLite through better-sqlite3 (a file in WAL mode, or `sqlite::memory:`). The file is opened by
 * connect(), while Latchkey starts, like a PostgreSQL pool: creating Latchkey touches no file.
 */
export function openSqlite(url: string): StoreDialect {
  const file = url.slice("sqlite:".length) || ":memory:";
  let sqlite: SQLite.Database | undefined;
  const open = (): SQLite.Database => {
    if (sqlite) return sqlite;
    const db = new SQLite(file);
    db.pragma("journal_mode = WAL");
    db.pragma("busy_timeout = 5000");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    sqlite = db;
    return db;
  };
  const statements = new Map<string, SQLite.Statement>();
  return {
    name: "sqlite",
    kysely: new SqliteDialect({ database: async () => open() }),
    pool: undefined,
    async connect() {
      open();
    },
    async preparedRow<Row extends readonly unknown[]>(
      _name: string,
      query: { sql: string; parameters: readonly unknown[] },
    ) {
      let statement = statements.get(query.sql);
      if (!statement) {
        statement = open().prepare(query.sql).raw(true);
        statements.set(query.sql, statement);
      }
      return statement.get(...(query.parameters as unknown[])) as Row | undefined;
    },
    async close() {
      if (sqlite?.open) sqlite.close();
    },
  };
}
