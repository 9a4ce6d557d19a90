import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { latchkeyHono } from "../../src/adapters/hono.js";
import { fetchToNodeListener } from "../../src/adapters/node.js";
import { useLatchkey } from "../helpers/latchkey.js";
import { expectBrowserSignup, expectConfig, expectPayloadTooLarge, listen } from "./scenario.js";

describe("latchkey/hono", () => {
  const auth = useLatchkey("sqlite");
  let server: { origin: string; close(): Promise<void> };
  let origin: string;

  beforeAll(async () => {
    const app = new Hono();
    // Earlier middleware that reads the body: Latchkey must still get it.
    app.use("/_allauth/browser/*", async (c, next) => {
      if (c.req.method === "POST" && c.req.header("x-read-body")) await c.req.json();
      await next();
    });
    app.all("/_allauth/*", latchkeyHono(auth.latchkey));
    app.get("/hello", (c) => c.json({ hello: "world" }));
    // The way @hono/node-server calls the app: the Node request in env.incoming.
    server = await listen(
      fetchToNodeListener((request, incoming) => Promise.resolve(app.fetch(request, { incoming }))),
    );
    origin = server.origin;
  });
  afterAll(async () => {
    await server.close();
  });

  it("answers GET config", () => expectConfig(origin));

  it("round-trips cookies and the CSRF header through a browser signup", () => expectBrowserSignup(origin));

  it("refuses an oversized body with 413 JSON", () => expectPayloadTooLarge(origin));

  it("leaves other paths to Hono: its own routes and its own 404", async () => {
    const hello = await fetch(`${origin}/hello`);
    expect(await hello.json()).toEqual({ hello: "world" });
    const missing = await fetch(`${origin}/missing`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe("404 Not Found");
  });

  it("passes c.env.incoming's socket address as the client IP", async () => {
    const signup = await fetch(`${origin}/_allauth/app/v1/auth/signup`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: `hono${Date.now()}`, password: "correct-Horse-battery-9" }),
    });
    const token = (await signup.json()).meta.session_token as string;
    const sessions = await fetch(`${origin}/_allauth/app/v1/auth/sessions`, {
      headers: { "x-session-token": token },
    });
    expect((await sessions.json()).data[0].ip).toBe("127.0.0.1");
  });

  it("gets the body even when earlier middleware read it", async () => {
    const config = await fetch(`${origin}/_allauth/browser/v1/config`);
    const csrf = /csrftoken=([^;]+)/.exec(config.headers.getSetCookie().join(","))![1]!;
    const login = await fetch(`${origin}/_allauth/browser/v1/auth/login`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        cookie: `csrftoken=${csrf}`,
        "x-csrftoken": csrf,
        "x-read-body": "1",
      },
      body: JSON.stringify({ username: "nobody", password: "wrong-password" }),
    });
    expect(login.status).toBe(400);
    expect((await login.json()).errors[0].code).toBe("username_password_mismatch");
  });

  it("calls next() for paths outside the base path when used as middleware", async () => {
    const app = new Hono();
    app.use(latchkeyHono(auth.latchkey));
    app.get("/hello", (c) => c.text("hi"));
    expect(await (await app.request("/hello")).text()).toBe("hi");
    expect((await app.request("http://localhost/_allauth/app/v1/config")).status).toBe(200);
  });
});
