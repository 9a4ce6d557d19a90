import { describe, expect, it } from "vitest";
import { anonymousClient, countRows, PASSWORD, unique } from "./helpers/accounts.js";
import { clients, type TestResponse } from "./helpers/client.js";
import { useLatchkey } from "./helpers/latchkey.js";
import { dialects } from "./helpers/stores.js";

const CONCURRENCY = 20;

/**
 * Concurrent signups race past the "is it taken?" reads together; the database's unique indexes
 * must let exactly one win, and the losers must get allauth's field error, never a 500.
 */
describe.each(dialects)("concurrent signups (%s)", (dialect) => {
  const server = useLatchkey(dialect);

  async function race(bodies: Record<string, unknown>[]): Promise<TestResponse[]> {
    // Half browser, half app; each its own frontend (own cookies, CSRF token and address).
    const frontends = await Promise.all(
      bodies.map((_, i) => anonymousClient(server, clients[i % 2]!, `10.20.${i}.1`)),
    );
    return Promise.all(frontends.map((c, i) => c.post("/auth/signup", bodies[i])));
  }

  it(`${CONCURRENCY} signups with one email create one user and one address`, async () => {
    const email = `${unique("race")}@example.org`;
    const usersBefore = await countRows(server, "user");
    const addressesBefore = await countRows(server, "email_address");
    const results = await race(
      Array.from({ length: CONCURRENCY }, (_, i) => ({
        email: i % 3 === 0 ? email.toUpperCase() : email,
        username: unique(`racer${i}x`),
        password: PASSWORD,
      })),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    for (const res of results.filter((r) => r.status !== 200)) {
      expect(res.body).toEqual({
        status: 400,
        errors: [
          {
            message: "A user is already registered with this email address.",
            code: "email_taken",
            param: "email",
          },
        ],
      });
    }
    expect(await countRows(server, "user")).toBe(usersBefore + 1);
    expect(await countRows(server, "email_address")).toBe(addressesBefore + 1);
    const rows = await server.latchkey.runtime.store.db
      .selectFrom("email_address")
      .selectAll()
      .where("email_lower", "=", email)
      .execute();
    expect(rows).toHaveLength(1);
    const winner = results.find((r) => r.status === 200)!;
    expect(rows[0]!.user_id).toBe(winner.body.data.user.id);
  });

  it(`${CONCURRENCY} signups with one username create one user`, async () => {
    const username = unique("Racer");
    const usersBefore = await countRows(server, "user");
    const addressesBefore = await countRows(server, "email_address");
    const results = await race(
      Array.from({ length: CONCURRENCY }, (_, i) => ({
        email: `${unique(`racer${i}x`)}@example.org`,
        username: i % 2 === 0 ? username : username.toLowerCase(),
        password: PASSWORD,
      })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const res of results.filter((r) => r.status !== 200)) {
      expect(res.body).toEqual({
        status: 400,
        errors: [
          { message: "A user with that username already exists.", code: "username_taken", param: "username" },
        ],
      });
    }
    expect(await countRows(server, "user")).toBe(usersBefore + 1);
    // The losers' addresses were rolled back with their users.
    expect(await countRows(server, "email_address")).toBe(addressesBefore + 1);
  });

  it("concurrent signups with distinct details all succeed", async () => {
    const usersBefore = await countRows(server, "user");
    const results = await race(
      Array.from({ length: CONCURRENCY }, (_, i) => {
        const username = unique(`solo${i}x`);
        return { email: `${username}@example.org`, username, password: PASSWORD };
      }),
    );
    expect(results.map((r) => r.status)).toEqual(Array(CONCURRENCY).fill(200));
    expect(await countRows(server, "user")).toBe(usersBefore + CONCURRENCY);
  });

  it("concurrent logins of one user each get a session of their own", async () => {
    const username = unique("multi");
    const signup = await (await anonymousClient(server, clients[0]!)).post("/auth/signup", {
      username,
      password: PASSWORD,
    });
    expect(signup.status).toBe(200);
    const frontends = await Promise.all(
      Array.from({ length: 10 }, (_, i) => anonymousClient(server, clients[i % 2]!, `10.30.${i}.1`)),
    );
    const results = await Promise.all(
      frontends.map((c) => c.post("/auth/login", { username, password: PASSWORD })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    const rows = await server.latchkey.runtime.store.db
      .selectFrom("session")
      .select("token_hash")
      .where("user_id", "=", signup.body.data.user.id)
      .execute();
    expect(new Set(rows.map((r) => r.token_hash)).size).toBe(11);
  });
});
