import { describe, expect, it } from "vitest";
import type { LatchkeyOptions } from "../../src/options/schema.js";
import { anonymousClient, insertUser } from "../helpers/accounts.js";
import { clients, type TestResponse } from "../helpers/client.js";
import { Client, startLatchkey, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";

/**
 * Issue 3 item 8: with the default options, asking for a password reset (link or code mode)
 * or a login code answers the same for an address with an account and one without, so the API
 * cannot be used to find out who has an account.
 */

interface Mode {
  name: string;
  path: string;
  options: LatchkeyOptions;
}

const MODES: Mode[] = [
  { name: "password reset by link", path: "/auth/password/request", options: {} },
  {
    name: "password reset by code",
    path: "/auth/password/request",
    options: { account: { passwordResetByCode: { enabled: true } } },
  },
  {
    name: "login by code",
    path: "/auth/code/request",
    options: { account: { loginMethods: ["email"], loginByCode: { enabled: true } } },
  },
];

/** What an observer can compare: status, body (a new session token's value aside), cookie names. */
function observable(res: TestResponse) {
  const meta = res.body?.meta ? { ...res.body.meta } : undefined;
  if (meta?.session_token !== undefined) meta.session_token = "<token>";
  const cookies = res.headers
    .getSetCookie()
    .map((c) => c.split("=")[0])
    .sort();
  return { status: res.status, body: { ...res.body, ...(meta ? { meta } : {}) }, cookies };
}

describe.each(dialects)("no account enumeration (%s)", (dialect) => {
  describe.each(MODES)("$name", (mode) => {
    const server = useLatchkey(dialect, mode.options);

    it.each(clients)("answers a known and an unknown address alike (%s client)", async (kind) => {
      const user = await insertUser(server);
      const known = await (await anonymousClient(server, kind)).post(mode.path, { email: user.email });
      const unknown = await (await anonymousClient(server, kind)).post(mode.path, {
        email: `nobody-${user.email}`,
      });
      expect(known.status).toBeLessThan(500);
      expect(observable(unknown)).toEqual(observable(known));
      // the session state each leaves behind answers alike too
      const knownClient = await anonymousClient(server, kind);
      await knownClient.post(mode.path, { email: user.email });
      const unknownClient = await anonymousClient(server, kind);
      await unknownClient.post(mode.path, { email: `nobody2-${user.email}` });
      expect(observable(await unknownClient.get("/auth/session"))).toEqual(
        observable(await knownClient.get("/auth/session")),
      );
      // and so do wrong codes or keys
      const [path, body] =
        mode.path === "/auth/code/request"
          ? ["/auth/code/confirm", { code: "BCDF-GHJK" }]
          : ["/auth/password/reset", { key: "BCDF-GHJK", password: "Some-Long-Horse-4" }];
      expect(observable(await unknownClient.post(path, body))).toEqual(
        observable(await knownClient.post(path, body)),
      );
      // both addresses got one mail: a reset/code mail, or the unknown-account mail
      const mails = server.mails();
      expect(mails.filter((m) => m.to.includes(`nobody-${user.email}`)).length).toBe(1);
    });
  });
});

/**
 * A rough timing check: the median duration of requests for a known and for an unknown address
 * must be within a factor of two, over interleaved runs (so load on the machine hits both alike).
 * It catches a path that skips real work (a write, a mail); finer differences are for the benchmark.
 * On a machine loaded by parallel test files it can still fail by chance, so it runs only when
 * LATCHKEY_TIMING_TESTS is set.
 */
describe.runIf(process.env.LATCHKEY_TIMING_TESTS)("no account enumeration by timing (sqlite)", () => {
  const RUNS = 31;
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

  it.each(MODES)("$name: known and unknown addresses take about as long", async (mode) => {
    const server = await startLatchkey("sqlite", mode.options);
    const user = await insertUser(server);
    const time = async (email: string) => {
      const c = server.client(Client.APP);
      const started = performance.now();
      const res = await c.post(mode.path, { email });
      const elapsed = performance.now() - started;
      expect(res.status).toBeLessThan(500);
      return elapsed;
    };
    for (let i = 0; i < 5; i++) {
      await time(user.email!);
      await time(`warmup-${i}@example.org`);
    }
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      if (i % 2 === 0) {
        known.push(await time(user.email!));
        unknown.push(await time(`nobody-${i}@example.org`));
      } else {
        unknown.push(await time(`nobody-${i}@example.org`));
        known.push(await time(user.email!));
      }
    }
    const ratio = median(unknown) / median(known);
    expect(ratio, `median unknown ${median(unknown)} ms / known ${median(known)} ms`).toBeGreaterThan(0.5);
    expect(ratio, `median unknown ${median(unknown)} ms / known ${median(known)} ms`).toBeLessThan(2);
  });
});
