import { createHash } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { isBreachedPassword } from "../../src/account/passwords/breached.js";
import { passwordErrors } from "../../src/account/passwords/policy.js";
import { resolveOptions } from "../../src/latchkey.js";
import {
  anonymousClient,
  countRows,
  insertUser,
  loginClient,
  PASSWORD,
  storedPasswordHash,
  unique,
} from "../helpers/accounts.js";
import { clients, expectStatus } from "../helpers/client.js";
import { useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";

/** Passwords the fake range API knows, with how often each was "seen". */
const BREACHED = "Breached-Horse-Battery-1";
const COMMON_AND_BREACHED = "password123";
const SEEN_TWICE = "Seen-Twice-Horse-Battery-2";
/** Listed with a count of 0, as padding lines are. */
const PADDING_ONLY = "Padded-Horse-Battery-3";
const SIGHTINGS = new Map([
  [BREACHED, 1234],
  [COMMON_AND_BREACHED, 250_000],
  [SEEN_TWICE, 2],
  [PADDING_ONLY, 0],
]);
const CLEAN = "Clean-Horse-Battery-4";

const BREACHED_ERROR = {
  message: "This password has appeared in a data breach and cannot be used.",
  code: "password_breached",
};
const TOO_COMMON_ERROR = { message: "This password is too common.", code: "password_too_common" };

function sha1(text: string): string {
  return createHash("sha1").update(text, "utf8").digest("hex").toUpperCase();
}

interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** How the fake API behaves: answers in the range format, fails, hangs, or answers something else. */
type RangeApiMode = "answer" | "error" | "hang" | "html";

/** A local stand-in for api.pwnedpasswords.com/range/, recording what it was sent. */
async function startRangeApi() {
  const requests: ReceivedRequest[] = [];
  let mode: RangeApiMode = "answer";
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      const path = req.url ?? "";
      requests.push({ method: req.method ?? "", path, headers: req.headers, body });
      if (mode === "hang") return;
      if (mode === "error") {
        res.writeHead(500, { "content-type": "text/plain" }).end("internal error");
        return;
      }
      if (mode === "html") {
        res.writeHead(200, { "content-type": "text/html" }).end("<html><body>Welcome</body></html>");
        return;
      }
      const prefix = path.slice("/range/".length);
      const lines = [...SIGHTINGS]
        .map(([password, count]) => [sha1(password), count] as const)
        .filter(([hash]) => hash.startsWith(prefix))
        .map(([hash, count]) => `${hash.slice(5)}:${count}`);
      if (req.headers["add-padding"] === "true") {
        for (let i = 0; i < 5; i += 1) lines.push(`${sha1(`padding ${i}`).slice(5)}:0`);
      }
      res.writeHead(200, { "content-type": "text/plain" }).end(lines.join("\r\n"));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/range/`,
    requests,
    /** Runs `body` with the API in another mode, then answers normally again. */
    async in<T>(other: RangeApiMode, body: () => Promise<T>): Promise<T> {
      mode = other;
      try {
        return await body();
      } finally {
        mode = "answer";
      }
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type RangeApi = Awaited<ReturnType<typeof startRangeApi>>;

function captureWarnings() {
  const warnings: { obj: Record<string, unknown>; msg: string }[] = [];
  return {
    warnings,
    warn(obj: object, msg: string) {
      warnings.push({ obj: obj as Record<string, unknown>, msg });
    },
  };
}

/** Generous for a busy machine: only the hanging API waits it out, and it is given a short one. */
const ANSWER_TIMEOUT_MS = 10_000;

describe("breached-password lookup (k-anonymity range API)", () => {
  let api: RangeApi;
  beforeAll(async () => {
    api = await startRangeApi();
  });
  afterAll(async () => {
    await api?.close();
  });
  const options = (overrides: { timeoutMs?: number; minCount?: number; url?: string } = {}) => ({
    enabled: true,
    url: api.url,
    timeoutMs: ANSWER_TIMEOUT_MS,
    minCount: 1,
    ...overrides,
  });

  it("finds a breached password and passes a clean one, without warnings", async () => {
    const logger = captureWarnings();
    expect(await isBreachedPassword(BREACHED, options(), logger)).toBe(true);
    expect(await isBreachedPassword(COMMON_AND_BREACHED, options(), logger)).toBe(true);
    expect(await isBreachedPassword(CLEAN, options(), logger)).toBe(false);
    expect(logger.warnings).toEqual([]);
  });

  it("ignores zero-count padding lines and honours minCount", async () => {
    const logger = captureWarnings();
    expect(await isBreachedPassword(PADDING_ONLY, options(), logger)).toBe(false);
    expect(await isBreachedPassword(SEEN_TWICE, options({ minCount: 2 }), logger)).toBe(true);
    expect(await isBreachedPassword(SEEN_TWICE, options({ minCount: 3 }), logger)).toBe(false);
    expect(logger.warnings).toEqual([]);
  });

  it("sends only the 5-character hash prefix, and asks for padding", async () => {
    const before = api.requests.length;
    await isBreachedPassword(BREACHED, options(), captureWarnings());
    const sent = api.requests.slice(before);
    expect(sent).toHaveLength(1);
    const [request] = sent;
    const hash = sha1(BREACHED);
    expect(request!.method).toBe("GET");
    expect(request!.path).toBe(`/range/${hash.slice(0, 5)}`);
    expect(request!.headers["add-padding"]).toBe("true");
    const everything = JSON.stringify(request).toUpperCase();
    expect(everything).not.toContain(BREACHED.toUpperCase());
    expect(everything).not.toContain(hash.slice(5, 12));
    expect(request!.body).toBe("");
  });

  it("lets the password through and warns once when the API answers 500", async () => {
    const logger = captureWarnings();
    expect(await api.in("error", () => isBreachedPassword(BREACHED, options(), logger))).toBe(false);
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]!.obj).toMatchObject({ status: 500, url: api.url });
    expect(logger.warnings[0]!.msg).toMatch(/breached-password lookup failed/);
  });

  it("lets the password through and warns once when the API hangs past the timeout", async () => {
    const logger = captureWarnings();
    const breached = await api.in("hang", () =>
      isBreachedPassword(BREACHED, options({ timeoutMs: 200 }), logger),
    );
    expect(breached).toBe(false);
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]!.obj).toMatchObject({ err: { name: "TimeoutError" }, timeoutMs: 200 });
  });

  it("lets the password through and warns once when the API answers in another format", async () => {
    const logger = captureWarnings();
    expect(await api.in("html", () => isBreachedPassword(BREACHED, options(), logger))).toBe(false);
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]!.obj).toMatchObject({ reason: "the answer is not in the range format" });
  });

  it("lets the password through and warns once when the API cannot be reached", async () => {
    const closed = await startRangeApi();
    await closed.close();
    const logger = captureWarnings();
    expect(await isBreachedPassword(BREACHED, options({ url: closed.url }), logger)).toBe(false);
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]!.obj).toMatchObject({ url: closed.url, err: { message: "fetch failed" } });
  });

  it("is off by default: the policy asks nothing", async () => {
    const o = resolveOptions({ password: { breached: { url: api.url } } });
    expect(o.password.breached).toEqual({
      enabled: false,
      url: api.url,
      timeoutMs: 1500,
      minCount: 1,
    });
    expect(resolveOptions({}).password.breached.url).toBe("https://api.pwnedpasswords.com/range/");
    const before = api.requests.length;
    const deps = { options: o, messages: {} as never, logger: captureWarnings() };
    expect(await passwordErrors(deps, BREACHED, {}, "password")).toEqual([]);
    expect(api.requests.length).toBe(before);
  });

  it("refuses a URL that is not http(s)", () => {
    expect(() => resolveOptions({ password: { breached: { url: "ftp://example.org/range/" } } })).toThrow(
      /password\.breached\.url/,
    );
  });
});

describe.each(dialects)("breached passwords over HTTP (%s)", (dialect) => {
  let api: RangeApi;
  beforeAll(async () => {
    api = await startRangeApi();
  });
  afterAll(async () => {
    await api?.close();
  });
  const server = useLatchkey(dialect, () => ({
    password: { breached: { enabled: true, url: api.url, timeoutMs: ANSWER_TIMEOUT_MS } },
  }));

  describe.each(clients)("%s client", (kind) => {
    const signup = async (password: string) =>
      (await anonymousClient(server, kind)).post("/auth/signup", {
        username: unique(),
        email: `${unique()}@example.org`,
        password,
      });

    it("refuses a breached password at signup and stores nothing", async () => {
      const users = await countRows(server, "user");
      const res = await signup(BREACHED);
      expectStatus(res, 400);
      expect(res.body.errors).toEqual([{ ...BREACHED_ERROR, param: "password" }]);
      expect(await countRows(server, "user")).toBe(users);
    });

    it("reports a breach together with the other validators' problems", async () => {
      const res = await signup(COMMON_AND_BREACHED);
      expectStatus(res, 400);
      expect(res.body.errors).toEqual([
        { ...TOO_COMMON_ERROR, param: "password" },
        { ...BREACHED_ERROR, param: "password" },
      ]);
    });

    it("accepts a clean password at signup", async () => {
      expectStatus(await signup(CLEAN), 200);
    });

    it("lets the password through and logs a warning when the API fails", async () => {
      const warn = vi.spyOn(server.latchkey.runtime.logger, "warn");
      try {
        const res = await api.in("error", () => signup(BREACHED));
        expectStatus(res, 200);
        expect(warn).toHaveBeenCalledTimes(1);
        expect(warn.mock.calls[0]![0]).toMatchObject({ status: 500, url: api.url });
      } finally {
        warn.mockRestore();
      }
    });

    it("refuses a breached new password at password change", async () => {
      const user = await insertUser(server);
      const c = await loginClient(server, kind, user);
      const hash = await storedPasswordHash(server, user.id);
      const res = await c.post("/account/password/change", {
        current_password: PASSWORD,
        new_password: BREACHED,
      });
      expectStatus(res, 400);
      expect(res.body.errors).toEqual([{ ...BREACHED_ERROR, param: "new_password" }]);
      expect(await storedPasswordHash(server, user.id)).toBe(hash);
    });

    it("refuses a breached password at password reset", async () => {
      const user = await insertUser(server);
      const hash = await storedPasswordHash(server, user.id);
      const c = await anonymousClient(server, kind);
      expectStatus(await c.post("/auth/password/request", { email: user.email }), 200);
      const link = /\/password\/reset\/key\/(\S+)/.exec(server.lastMail(user.email!).text);
      const key = decodeURIComponent(link![1]!);
      const res = await c.post("/auth/password/reset", { key, password: BREACHED });
      expectStatus(res, 400);
      expect(res.body.errors).toEqual([{ ...BREACHED_ERROR, param: "password" }]);
      expect(await storedPasswordHash(server, user.id)).toBe(hash);
    });
  });
});
