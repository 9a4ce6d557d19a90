import SQLite from "better-sqlite3";
import { SqliteDialect } from "kysely";
import type { StoreDialect } from "../dialect.js";

/** SQLite through better-sqlite3 (a file in WAL mode, or `sqlite::memory:`). */
export function openSqlite(url: string): StoreDialect {
  const file = url.slice("sqlite:".length) || ":memory:";
  const sqlite = new SQLite(file);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("foreign_keys = ON");
  const statements = new Map<string, SQLite.Statement>();
  return {
    name: "sqlite",
    kysely: new SqliteDialect({ database: sqlite }),
    async preparedRows<Row>(_name: string, query: { sql: string; parameters: readonly unknown[] }) {
      let statement = statements.get(query.sql);
      if (!statement) {
        statement = sqlite.prepare(query.sql);
        statements.set(query.sql, statement);
      }
      return statement.all(...(query.parameters as unknown[])) as Row[];
    },
  };
}
