import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchToNodeListener, type RunningServer, serve, toNodeListener } from "../../src/adapters/node.js";
import type { Latchkey } from "../../src/latchkey.js";
import { useLatchkey } from "../helpers/latchkey.js";
import { expectBrowserSignup, expectConfig, expectPayloadTooLarge, listen } from "./scenario.js";

describe("latchkey/node", () => {
  const auth = useLatchkey("sqlite");
  let running: RunningServer;
  let origin: string;

  beforeAll(async () => {
    running = await serve(auth.latchkey, { port: 0 });
    origin = running.url;
  });
  afterAll(async () => {
    await running.close();
  });

  it("serve() binds 127.0.0.1 and reports the bound port", () => {
    expect(origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(origin).not.toMatch(/:0$/);
  });

  it("answers GET config", () => expectConfig(origin));

  it("round-trips cookies and the CSRF header through a browser signup", () => expectBrowserSignup(origin));

  it("refuses an oversized body with 413 JSON (Content-Length)", () => expectPayloadTooLarge(origin));

  it("refuses an oversized chunked body with 413 JSON, answered before the connection closes", async () => {
    const chunk = new TextEncoder().encode(`{"username":"${"x".repeat(16_000)}`);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else {
          controller.enqueue(new TextEncoder().encode('"}'));
          controller.close();
        }
      },
    });
    const response = await fetch(`${origin}/_allauth/app/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(413);
    // The rest of a body of unknown length is not read through: the connection ends after the answer.
    expect(response.headers.get("connection")).toBe("close");
    expect((await response.json()).errors[0].code).toBe("payload_too_large");
  });

  it("streams a small chunked body to Latchkey", async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"username": "nobody", '));
        controller.enqueue(new TextEncoder().encode('"password": "wrong-password"}'));
        controller.close();
      },
    });
    const response = await fetch(`${origin}/_allauth/app/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(400);
    expect((await response.json()).errors[0].code).toBe("username_password_mismatch");
  });

  it("answers malformed JSON with 400 invalid_json", async () => {
    const response = await fetch(`${origin}/_allauth/app/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{nope",
    });
    expect(response.status).toBe(400);
    expect((await response.json()).errors[0].code).toBe("invalid_json");
  });

  it("answers paths outside the base path with a JSON 404", async () => {
    const response = await fetch(`${origin}/elsewhere`);
    expect(response.status).toBe(404);
    expect((await response.json()).errors[0].code).toBe("not_found");
  });

  it("refuses a Host header that would change the path or add credentials (400 JSON)", async () => {
    const { port } = new URL(origin);
    for (const host of ["x/_allauth/app/v1/config?", "user@example.com"]) {
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest({
          host: "127.0.0.1",
          port,
          path: "/_allauth/app/v1/auth/session",
          headers: { host },
        });
        req.on("response", (res) => {
          let body = "";
          res.on("data", (d: Buffer) => {
            body += d;
          });
          res.on("end", () => resolve({ status: res.statusCode!, body }));
        });
        req.on("error", reject);
        req.end();
      });
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body).errors[0].code).toBe("invalid");
    }
    // Ports and IPv6 literals are fine.
    const ok = await fetch(`${origin}/_allauth/app/v1/config`, { headers: { host: `[::1]:${port}` } });
    expect(ok.status).toBe(200);
  });

  it("answers HEAD without a body", async () => {
    const response = await fetch(`${origin}/_allauth/app/v1/config`, { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("");
  });

  it("passes the socket address as the client IP", async () => {
    const app = { "content-type": "application/json" };
    const login = await fetch(`${origin}/_allauth/app/v1/auth/signup`, {
      method: "POST",
      headers: app,
      body: JSON.stringify({ username: `ip${Date.now()}`, password: "correct-Horse-battery-9" }),
    });
    expect(login.status).toBe(200);
    const token = (await login.json()).meta.session_token as string;
    const sessions = await fetch(`${origin}/_allauth/app/v1/auth/sessions`, {
      headers: { "x-session-token": token },
    });
    expect(sessions.status).toBe(200);
    const [session] = (await sessions.json()).data;
    expect(session.ip).toBe("127.0.0.1");
  });

  it("takes the scheme from X-Forwarded-Proto only when told to", async () => {
    const seen: string[] = [];
    const spy = {
      ...auth.latchkey,
      respond: async (request: { url: string }) => {
        seen.push(request.url);
        return { status: 200, headers: [], body: null };
      },
    };
    const plain = await listen(toNodeListener(spy as Latchkey));
    const trusting = await listen(toNodeListener(spy as Latchkey, { trustForwardedProto: true }));
    try {
      const headers = { "x-forwarded-proto": "https" };
      await fetch(`${plain.origin}/_allauth/x?y=1`, { headers });
      await fetch(`${trusting.origin}/_allauth/x?y=1`, { headers });
      expect(seen).toEqual([
        `${plain.origin}/_allauth/x?y=1`,
        `${trusting.origin.replace("http:", "https:")}/_allauth/x?y=1`,
      ]);
    } finally {
      await plain.close();
      await trusting.close();
    }
  });

  it("answers 500 JSON when the handler throws", async () => {
    const failing = { ...auth.latchkey, respond: async () => Promise.reject(new Error("boom")) };
    const server = await listen(toNodeListener(failing as Latchkey));
    try {
      const response = await fetch(`${server.origin}/_allauth/app/v1/config`);
      expect(response.status).toBe(500);
      expect((await response.json()).errors[0].code).toBe("internal_error");
    } finally {
      await server.close();
    }
  });

  it("streams a body of several chunks", async () => {
    const parts = ["[", "1,", "2", "]"];
    const streaming = {
      ...auth.latchkey,
      handler: async () =>
        new Response(
          new ReadableStream({
            start(controller) {
              for (const p of parts) controller.enqueue(new TextEncoder().encode(p));
              controller.close();
            },
          }),
          { headers: { "content-type": "application/json" } },
        ),
    };
    const server = await listen(fetchToNodeListener(streaming.handler));
    try {
      const response = await fetch(`${server.origin}/x`);
      expect(await response.json()).toEqual([1, 2]);
      expect(response.headers.get("transfer-encoding")).toBe("chunked");
    } finally {
      await server.close();
    }
  });
});
