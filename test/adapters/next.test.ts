import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NextHandlers, toNextHandlers } from "../../src/adapters/next.js";
import { fetchToNodeListener } from "../../src/adapters/node.js";
import { useLatchkey } from "../helpers/latchkey.js";
import { expectBrowserSignup, expectConfig, expectPayloadTooLarge, listen } from "./scenario.js";

describe("latchkey/next", () => {
  const auth = useLatchkey("sqlite", { proxy: { trustedProxyCount: 1 } });
  let server: { origin: string; close(): Promise<void> };
  let origin: string;

  beforeAll(async () => {
    const handlers = toNextHandlers(auth.latchkey);
    // What Next does with app/%5Fallauth/[...path]/route.ts: the exported handler named by the
    // method gets the Request (and a context with params), anything else is 405.
    server = await listen(
      fetchToNodeListener(async (request) => {
        const url = new URL(request.url);
        if (!url.pathname.startsWith("/_allauth/")) return new Response("Next 404", { status: 404 });
        const handler = handlers[request.method as keyof NextHandlers];
        if (!handler) return new Response(null, { status: 405 });
        return (handler as (r: Request, ctx: unknown) => Promise<Response>)(request, {
          params: Promise.resolve({ path: url.pathname.split("/").slice(2) }),
        });
      }),
    );
    origin = server.origin;
  });
  afterAll(async () => {
    await server.close();
  });

  it("exports a handler per method", () => {
    expect(Object.keys(toNextHandlers(auth.latchkey)).sort()).toEqual(
      ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"].sort(),
    );
  });

  it("answers GET config", () => expectConfig(origin));

  it("round-trips cookies and the CSRF header through a browser signup", () => expectBrowserSignup(origin));

  it("refuses an oversized body with 413 JSON", () => expectPayloadTooLarge(origin));

  it("takes the client IP from X-Forwarded-For through Latchkey's proxy options", async () => {
    const signup = await fetch(`${origin}/_allauth/app/v1/auth/signup`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": "203.0.113.7" },
      body: JSON.stringify({ username: `next${Date.now()}`, password: "correct-Horse-battery-9" }),
    });
    const token = (await signup.json()).meta.session_token as string;
    const sessions = await fetch(`${origin}/_allauth/app/v1/auth/sessions`, {
      headers: { "x-session-token": token },
    });
    expect((await sessions.json()).data[0].ip).toBe("203.0.113.7");
  });
});
