import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { isConnectionError } from "../../src/store/database.js";
import { startLatchkey } from "../helpers/latchkey.js";
import { postgresAvailable } from "../helpers/stores.js";

describe.skipIf(!postgresAvailable)("database.statementTimeoutMs (PostgreSQL)", () => {
  it("sets statement_timeout on the pool's connections; a statement it cancels counts as the database not answering (503)", async () => {
    const server = await startLatchkey("postgres", { database: { statementTimeoutMs: 200 } });
    const db = server.latchkey.runtime.store.db;
    const shown = await sql<{ statement_timeout: string }>`show statement_timeout`.execute(db);
    expect(shown.rows[0]!.statement_timeout).toBe("200ms");
    const slow = sql`select pg_sleep(2)`.execute(db);
    const failure = await slow.then(
      () => null,
      (err: unknown) => err,
    );
    expect((failure as { code?: string } | null)?.code).toBe("57014");
    // Answered as an unreachable database is: 503, to be tried again.
    expect(isConnectionError(failure)).toBe(true);
    // The connection is still good for the next statement.
    expect((await sql<{ one: number }>`select 1 as one`.execute(db)).rows[0]!.one).toBe(1);
  });

  it("leaves the server's setting without it", async () => {
    const server = await startLatchkey("postgres");
    const db = server.latchkey.runtime.store.db;
    const shown = await sql<{ statement_timeout: string }>`show statement_timeout`.execute(db);
    expect(shown.rows[0]!.statement_timeout).toBe("0");
  });
});
