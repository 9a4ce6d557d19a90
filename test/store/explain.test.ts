import pg from "pg";
import { describe, expect, it } from "vitest";
import { insertUser, PASSWORD } from "../helpers/accounts.js";
import { Client, startLatchkey, type TestServer } from "../helpers/latchkey.js";
import { postgresAvailable } from "../helpers/stores.js";

interface Statement {
  text: string;
  values: unknown[];
}

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  Plans?: PlanNode[];
}

/**
 * Every read of the hot requests can be served by an index: each SELECT they send is explained
 * with sequential scans priced out (`enable_seqscan = off`, so that the few rows of a test table
 * do not make a scan the cheaper plan); a table the planner still scans whole has no index for
 * the query, which at a million users is a read of the whole table.
 */
describe.skipIf(!postgresAvailable)("the hot queries use indexes (PostgreSQL)", () => {
  /** The statements the server sends to PostgreSQL while `work` runs. */
  async function captured(work: () => Promise<unknown>): Promise<Statement[]> {
    const statements: Statement[] = [];
    const original = pg.Client.prototype.query;
    pg.Client.prototype.query = function (
      this: pg.Client,
      config: unknown,
      values?: unknown,
      ...rest: unknown[]
    ) {
      if (typeof config === "string")
        statements.push({ text: config, values: Array.isArray(values) ? values : [] });
      else if (config && typeof (config as { text?: unknown }).text === "string") {
        const c = config as { text: string; values?: unknown[] };
        statements.push({ text: c.text, values: c.values ?? (Array.isArray(values) ? values : []) });
      }
      return (original as (...args: unknown[]) => unknown).call(this, config, values, ...rest);
    } as typeof original;
    try {
      await work();
    } finally {
      pg.Client.prototype.query = original;
    }
    return statements.filter((s) => /^\s*select\b/i.test(s.text));
  }

  /** The plan of a statement with sequential scans priced out. */
  async function plan(server: TestServer, statement: Statement): Promise<PlanNode> {
    const pool = server.latchkey.runtime.store.pool!;
    const client = await (pool as unknown as pg.Pool).connect();
    try {
      await client.query("begin");
      await client.query("set local enable_seqscan = off");
      const result = await client.query(`explain (format json) ${statement.text}`, statement.values);
      return (result.rows[0] as { "QUERY PLAN": { Plan: PlanNode }[] })["QUERY PLAN"][0]!.Plan;
    } finally {
      await client.query("rollback");
      client.release();
    }
  }

  function nodes(node: PlanNode): PlanNode[] {
    return [node, ...(node.Plans ?? []).flatMap(nodes)];
  }

  /** The index names each statement's plan uses; fails on a statement whose plan scans a table whole. */
  async function expectIndexed(server: TestServer, statements: Statement[]): Promise<string[][]> {
    expect(statements.length).toBeGreaterThan(0);
    const used: string[][] = [];
    for (const statement of statements) {
      const all = nodes(await plan(server, statement));
      const scans = all.filter((n) => n["Node Type"] === "Seq Scan").map((n) => n["Relation Name"]);
      expect(scans, `a sequential scan of ${scans.join(", ")} in:\n${statement.text}`).toEqual([]);
      used.push(all.flatMap((n) => (n["Index Name"] ? [n["Index Name"]] : [])));
    }
    return used;
  }

  function server(): Promise<TestServer> {
    return startLatchkey("postgres", {
      account: { loginMethods: ["email", "username"], signupFields: ["email*", "username*", "password1*"] },
    });
  }

  it("the session check reads the session by its token's index, and nothing else", async () => {
    const s = await server();
    const user = await insertUser(s, { verified: true });
    const app = s.client(Client.APP);
    expect((await app.post("/auth/login", { email: user.email, password: PASSWORD })).status).toBe(200);
    const statements = await captured(async () => {
      expect((await app.get("/auth/session")).status).toBe(200);
    });
    expect(statements).toHaveLength(1);
    const [indexes] = await expectIndexed(s, statements);
    expect(indexes).toEqual([expect.stringMatching(/session_token_hash/)]);
  });

  it("the login lookup by email and by username", async () => {
    const s = await server();
    const user = await insertUser(s, { verified: true });
    for (const body of [
      { email: user.email, password: PASSWORD },
      { username: user.username, password: PASSWORD },
      { email: "nobody@example.org", password: PASSWORD },
    ]) {
      const app = s.client(Client.APP);
      const statements = await captured(() => app.post("/auth/login", body));
      const indexes = (await expectIndexed(s, statements)).flat();
      expect(indexes.some((name) => /email_address|user_username/.test(name))).toBe(true);
    }
  });

  it("the email lookups of signup, password reset and login by code", async () => {
    const s = await startLatchkey("postgres", {
      account: {
        loginMethods: ["email"],
        signupFields: ["email*", "password1*"],
        loginByCode: { enabled: true },
      },
    });
    const user = await insertUser(s, { verified: true });
    const app = s.client(Client.APP);
    const statements = await captured(async () => {
      await app.post("/auth/signup", { email: user.email!.toUpperCase(), password: PASSWORD });
      await app.post("/auth/password/request", { email: user.email });
      await app.post("/auth/code/request", { email: user.email });
    });
    const indexes = (await expectIndexed(s, statements)).flat();
    expect(indexes.some((name) => name.includes("email_address"))).toBe(true);
  });
});
