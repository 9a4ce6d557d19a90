import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { Client } from "../../src/core/enums.js";
import { useLatchkey } from "../helpers/latchkey.js";
import { storelessDialects } from "../helpers/stores.js";

/** A logger whose warnings the test reads. */
function capturedLogger() {
  const lines: { level: number; msg: string; origin?: string }[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: "warn" }, stream), lines };
}

describe.each(storelessDialects)("refusals that name the option to change (%s)", (dialect) => {
  const captured = capturedLogger();
  const server = useLatchkey(dialect, {}, { logger: captured.logger });

  it("a browser on an untrusted origin gets a CSRF 403 naming csrf.trustedOrigins", async () => {
    const browser = server.client(Client.BROWSER);
    await browser.get("/config");
    const refused = await browser.post(
      "/auth/login",
      { username: "x", password: "y" },
      { headers: { origin: "http://localhost:3000" } },
    );
    expect(refused.status).toBe(403);
    expect(refused.body.errors[0]).toMatchObject({
      code: "csrf_failed",
      message: expect.stringContaining("origin not trusted: add it to csrf.trustedOrigins"),
    });
  });

  it("a cross-origin request answered without CORS headers is logged once per origin, naming cors.allowedOrigins", async () => {
    const browser = server.client(Client.BROWSER);
    for (let i = 0; i < 3; i++) {
      const response = await browser.get("/config", { headers: { origin: "http://localhost:5173" } });
      expect(response.headers.get("access-control-allow-origin")).toBeNull();
    }
    const warnings = captured.lines.filter((l) => l.origin === "http://localhost:5173");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toContain("cors.allowedOrigins");
    // The API's own origin is not cross-origin.
    await browser.get("/config", { headers: { origin: "http://localhost:8000" } });
    expect(captured.lines.filter((l) => l.origin === "http://localhost:8000")).toHaveLength(0);
  });
});
