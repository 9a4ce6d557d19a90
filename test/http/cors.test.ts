import { describe, expect, it } from "vitest";
import { insertUser, PASSWORD } from "../helpers/accounts.js";
import { clients } from "../helpers/client.js";
import { Client, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";

const ALLOWED = "https://spa.example.com";
const OTHER = "https://elsewhere.example.com";

describe.each(dialects)("CORS (%s)", (dialect) => {
  const server = useLatchkey(dialect, { cors: { allowedOrigins: [ALLOWED], maxAge: 600 } });

  describe.each(clients)("%s client", (kind) => {
    it("lets an allowed origin read answers, with credentials", async () => {
      const c = server.client(kind);
      for (const res of [
        await c.get("/config", { headers: { origin: ALLOWED } }),
        await c.get("/auth/session", { headers: { origin: ALLOWED } }),
        await c.get("/nope", { headers: { origin: ALLOWED } }),
        await c.post("/auth/login", {}, { headers: { origin: ALLOWED } }),
      ]) {
        expect(res.headers.get("access-control-allow-origin")).toBe(ALLOWED);
        expect(res.headers.get("access-control-allow-credentials")).toBe("true");
        expect(res.headers.get("vary")).toMatch(/Origin/);
      }
    });

    it("answers a preflight with 204 and the headers allauth's clients send", async () => {
      const c = server.client(kind);
      const res = await c.request("OPTIONS", "/auth/login", undefined, {
        headers: {
          origin: ALLOWED,
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type,x-session-token",
        },
      });
      expect(res.status).toBe(204);
      expect(res.text).toBe("");
      expect(res.headers.get("access-control-allow-origin")).toBe(ALLOWED);
      expect(res.headers.get("access-control-allow-credentials")).toBe("true");
      expect(res.headers.get("access-control-allow-methods")).toMatch(/POST/);
      expect(res.headers.get("access-control-max-age")).toBe("600");
      const allowed = (res.headers.get("access-control-allow-headers") ?? "")
        .split(",")
        .map((h) => h.trim().toLowerCase());
      for (const header of [
        "content-type",
        "x-session-token",
        "x-csrftoken",
        "x-email-verification-key",
        "x-password-reset-key",
      ]) {
        expect(allowed, header).toContain(header);
      }
      const session = await c.request("OPTIONS", "/auth/session", undefined, {
        headers: { origin: ALLOWED, "access-control-request-method": "DELETE" },
      });
      expect(session.status).toBe(204);
      expect(session.headers.get("access-control-allow-methods")).toMatch(/DELETE/);
    });

    it("gives other origins no CORS headers", async () => {
      const c = server.client(kind);
      for (const res of [
        await c.get("/config", { headers: { origin: OTHER } }),
        await c.request("OPTIONS", "/auth/login", undefined, {
          headers: { origin: OTHER, "access-control-request-method": "POST" },
        }),
        await c.get("/config"),
      ]) {
        expect(res.headers.get("access-control-allow-origin")).toBeNull();
        expect(res.headers.get("access-control-allow-credentials")).toBeNull();
        expect(res.headers.get("access-control-allow-headers")).toBeNull();
      }
    });

    it("lets an allowed origin log in cross-origin", async () => {
      const user = await insertUser(server);
      const c = server.client(kind);
      await c.get("/config", { headers: { origin: ALLOWED } });
      const res = await c.post(
        "/auth/login",
        { username: user.username, password: PASSWORD },
        { headers: { origin: ALLOWED } },
      );
      expect(res.status).toBe(200);
      expect(res.headers.get("access-control-allow-origin")).toBe(ALLOWED);
      if (kind === Client.BROWSER) {
        const other = await c.delete("/auth/session", undefined, { headers: { origin: OTHER } });
        expect(other.status).toBe(403);
      }
    });
  });
});
