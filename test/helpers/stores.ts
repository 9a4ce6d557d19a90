import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

export type Dialect = "sqlite" | "postgres";

export const POSTGRES_URL =
  process.env.LATCHKEY_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

let postgresReachable: Promise<boolean> | undefined;

/** Whether PostgreSQL answers. In CI an unreachable PostgreSQL is an error, never a skip. */
export function checkPostgres(): Promise<boolean> {
  postgresReachable ??= (async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query("select 1");
      return true;
    } catch (err) {
      if (process.env.CI)
        throw new Error(`PostgreSQL at ${POSTGRES_URL} is unreachable in CI: ${String(err)}`);
      console.warn(`PostgreSQL at ${POSTGRES_URL} is unreachable: skipping its tests (${String(err)})`);
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return postgresReachable;
}

/** Whether the PostgreSQL tests run (top-level await in test files decides describe.skipIf). */
export const postgresAvailable = await checkPostgres();

export interface TestDatabase {
  url: string;
  cleanup(): Promise<void>;
}

/** A database of its own for one test suite: a temporary SQLite file, or a PostgreSQL schema. */
export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  if (dialect === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "latchkey-test-"));
    return {
      url: `sqlite:${join(dir, "db.sqlite3")}`,
      async cleanup() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `lk_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    url,
    async cleanup() {
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    },
  };
}

/** The dialects to run a suite on: SQLite always, PostgreSQL when reachable. */
export const dialects: Dialect[] = postgresAvailable ? ["sqlite", "postgres"] : ["sqlite"];

/**
 * The dialects for a suite that never touches the store (no users, sessions or codes written or
 * read, e.g. the routes or the /config an option gives): what it tests cannot differ between
 * databases, so SQLite alone runs it.
 */
export const storelessDialects: Dialect[] = ["sqlite"];
