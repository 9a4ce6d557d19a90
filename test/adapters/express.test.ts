import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { latchkeyExpress } from "../../src/adapters/express.js";
import { useLatchkey } from "../helpers/latchkey.js";
import { expectBrowserSignup, expectConfig, expectPayloadTooLarge, listen } from "./scenario.js";

describe("latchkey/express", () => {
  const auth = useLatchkey("sqlite");
  const servers: { origin: string; close(): Promise<void> }[] = [];
  let origin: string;
  let parsedOrigin: string;

  beforeAll(async () => {
    // Mounted at the root, before any body parser (the recommended order).
    const app = express();
    app.use(latchkeyExpress(auth.latchkey));
    app.get("/hello", (_req, res) => {
      res.json({ hello: "world" });
    });
    servers.push(await listen(app));
    origin = servers[0]!.origin;

    // After express.json(): the consumed body is re-serialised from req.body.
    const parsed = express();
    parsed.use(express.json());
    parsed.use(latchkeyExpress(auth.latchkey));
    parsed.post("/echo", (req, res) => {
      res.json(req.body);
    });
    servers.push(await listen(parsed));
    parsedOrigin = servers[1]!.origin;
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
  });

  it("answers GET config", () => expectConfig(origin));

  it("round-trips cookies and the CSRF header through a browser signup", () => expectBrowserSignup(origin));

  it("refuses an oversized body with 413 JSON", () => expectPayloadTooLarge(origin));

  it("leaves other paths to Express: its own route and its own 404", async () => {
    const hello = await fetch(`${origin}/hello`);
    expect(await hello.json()).toEqual({ hello: "world" });
    const missing = await fetch(`${origin}/missing`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toMatch(/text\/html/);
    const lookalike = await fetch(`${origin}/_allauthx/app/v1/config`);
    expect(lookalike.status).toBe(404);
    expect(lookalike.headers.get("content-type")).toMatch(/text\/html/);
  });

  describe("after express.json()", () => {
    it("answers GET config", () => expectConfig(parsedOrigin));

    it("signs up a browser with the re-serialised body", () => expectBrowserSignup(parsedOrigin));

    it("refuses an oversized (but parseable) body with 413 JSON", () => expectPayloadTooLarge(parsedOrigin));

    it("still reports input errors from the re-serialised body", async () => {
      const response = await fetch(`${parsedOrigin}/_allauth/app/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: 5 }),
      });
      expect(response.status).toBe(400);
      const body = await response.json();
      expect(body.errors.map((e: { param: string }) => e.param)).toContain("password");
    });

    it("leaves the app's own routes their parsed body", async () => {
      const response = await fetch(`${parsedOrigin}/echo`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ a: 1 }),
      });
      expect(await response.json()).toEqual({ a: 1 });
    });
  });

  it("serves the full URL when mounted under a path", async () => {
    const app = express();
    // Express strips "/_allauth" from req.url; the adapter uses originalUrl.
    app.use("/_allauth", latchkeyExpress(auth.latchkey));
    const server = await listen(app);
    try {
      await expectConfig(server.origin);
    } finally {
      await server.close();
    }
  });
});
