import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { latchkeyFastify } from "../../src/adapters/fastify.js";
import { useLatchkey } from "../helpers/latchkey.js";
import { expectBrowserSignup, expectConfig, expectPayloadTooLarge } from "./scenario.js";

describe("latchkey/fastify", () => {
  const auth = useLatchkey("sqlite");
  let app: FastifyInstance;
  let origin: string;

  beforeAll(async () => {
    app = Fastify();
    await app.register(latchkeyFastify, { latchkey: auth.latchkey });
    app.get("/hello", async () => ({ hello: "world" }));
    app.post("/echo", async (request) => request.body);
    origin = await app.listen({ port: 0, host: "127.0.0.1" });
  });
  afterAll(async () => {
    await app.close();
  });

  it("answers GET config", () => expectConfig(origin));

  it("round-trips cookies and the CSRF header through a browser signup", () => expectBrowserSignup(origin));

  it("refuses an oversized body with Latchkey's 413 JSON", () => expectPayloadTooLarge(origin));

  it("leaves other paths to Fastify: its own routes and its own 404", async () => {
    const hello = await fetch(`${origin}/hello`);
    expect(await hello.json()).toEqual({ hello: "world" });
    const missing = await fetch(`${origin}/missing`);
    expect(missing.status).toBe(404);
    expect((await missing.json()).message).toMatch(/Route GET:\/missing not found/);
  });

  it("keeps the app's JSON parser outside the plugin", async () => {
    const response = await fetch(`${origin}/echo`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ a: 1 }),
    });
    expect(await response.json()).toEqual({ a: 1 });
  });

  it("hands Latchkey bodies of any content type, and empty ones", async () => {
    const noType = await fetch(`${origin}/_allauth/app/v1/auth/login`, { method: "POST", body: "{nope" });
    expect(noType.status).toBe(400);
    expect((await noType.json()).errors[0].code).toBe("invalid_json");
    const empty = await fetch(`${origin}/_allauth/app/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
    });
    expect(empty.status).toBe(400);
    expect((await empty.json()).errors.map((e: { code: string }) => e.code)).toContain("required");
  });

  it("answers HEAD and OPTIONS through Latchkey", async () => {
    const head = await fetch(`${origin}/_allauth/app/v1/config`, { method: "HEAD" });
    expect(head.status).toBe(200);
    const options = await fetch(`${origin}/_allauth/app/v1/config`, { method: "OPTIONS" });
    expect(options.status).toBe(204);
    expect(options.headers.get("allow")).toContain("GET");
  });
});
