import { describe, expect, it } from "vitest";
import { countRows, expectEnvelope, insertUser, loginClient, unique } from "../helpers/accounts.js";
import { clients, type TestResponse } from "../helpers/client.js";
import { Client, startLatchkey, type TestServer, useLatchkey } from "../helpers/latchkey.js";
import { dialects, storelessDialects } from "../helpers/stores.js";

const NOT_FOUND = { status: 404, errors: [{ message: "Not found.", code: "not_found" }] };
const MAX_BODY = 1024;

async function send(server: TestServer, request: Request): Promise<TestResponse> {
  const response = await server.latchkey.handler(request, { remoteAddress: "127.0.0.1" });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers, text };
}

describe.each(dialects)("HTTP pipeline (%s)", (dialect) => {
  const server = useLatchkey(dialect, { http: { maxBodyBytes: MAX_BODY } });

  describe.each(clients)("%s client", (kind) => {
    it("answers in the envelope with allauth's cache headers, omitting empty keys", async () => {
      const c = server.client(kind);
      const config = await c.get("/config");
      expectEnvelope(config);
      expect(Object.keys(config.body).sort()).toEqual(["data", "status"]);

      const session = await c.get("/auth/session");
      expectEnvelope(session);
      expect(Object.keys(session.body).sort()).toEqual(["data", "meta", "status"]);

      const invalid = await c.post("/auth/login", {});
      expectEnvelope(invalid);
      expect(Object.keys(invalid.body).sort()).toEqual(["errors", "status"]);

      const user = await insertUser(server);
      const logged = await loginClient(server, kind, user);
      const conflict = await logged.post("/auth/login", { username: user.username, password: user.password });
      expectEnvelope(conflict);
      expect(conflict.body).toEqual({ status: 409 });
    });

    it("answers unknown paths with a JSON 404", async () => {
      const c = server.client(kind);
      const base = server.latchkey.options.basePath;
      for (const path of [
        c.url("/nope"),
        c.url("/auth/login/"),
        c.url("/config/"),
        c.url("//auth/login"),
        `http://localhost:8000${base}/${kind}/v2/config`,
        `http://localhost:8000${base}/desktop/v1/config`,
        `http://localhost:8000${base}/${kind}/config`,
        `http://localhost:8000${base}`,
        `http://localhost:8000${base}/`,
        "http://localhost:8000/elsewhere",
      ]) {
        for (const method of ["GET", "POST"]) {
          const res = await c.request(method, path, method === "POST" ? {} : undefined);
          expect(res.status, `${method} ${path}`).toBe(404);
          expect(res.body).toEqual(NOT_FOUND);
          expectEnvelope(res);
        }
      }
    });

    it("answers a method the path does not have with 405 and Allow", async () => {
      const c = server.client(kind);
      await c.get("/config");
      const patch = await c.patch("/auth/session", {});
      expect(patch.status).toBe(405);
      expect(patch.headers.get("allow")).toBe("GET, DELETE, HEAD, OPTIONS");
      expect(patch.body).toEqual({
        status: 405,
        errors: [{ message: "Method not allowed.", code: "method_not_allowed" }],
      });
      expectEnvelope(patch);

      const getLogin = await c.get("/auth/login");
      expect(getLogin.status).toBe(405);
      expect(getLogin.headers.get("allow")).toBe("POST, OPTIONS");

      const putSignup = await c.put("/auth/signup", { username: unique(), password: "x" });
      expect(putSignup.status).toBe(405);
      expect(putSignup.headers.get("allow")).toBe("POST, OPTIONS");

      const postConfig = await c.post("/config", {});
      expect(postConfig.status).toBe(405);
      expect(postConfig.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    });

    it("answers HEAD like GET without a body, and OPTIONS with 204 and Allow", async () => {
      const c = server.client(kind);
      const head = await c.request("HEAD", "/config");
      expect(head.status).toBe(200);
      expect(head.text).toBe("");
      const options = await c.request("OPTIONS", "/auth/login");
      expect(options.status).toBe(204);
      expect(options.headers.get("allow")).toBe("POST, OPTIONS");
    });

    it("refuses malformed JSON and non-object bodies with 400 invalid_json", async () => {
      const c = server.client(kind);
      await c.get("/config");
      const before = await countRows(server, "user");
      for (const raw of ["{", '{"username": "a",}', "nul", "\u0000", "'single'"]) {
        const res = await c.post("/auth/signup", undefined, { raw });
        expect(res.status, raw).toBe(400);
        expect(res.body).toEqual({
          status: 400,
          errors: [{ message: "The request body is not valid JSON.", code: "invalid_json" }],
        });
        expectEnvelope(res);
      }
      for (const raw of ["[]", '[{"username":"a"}]', '"text"', "42", "true", "null"]) {
        const res = await c.post("/auth/login", undefined, { raw });
        expect(res.status, raw).toBe(400);
        expect(res.body).toEqual({
          status: 400,
          errors: [{ message: "The request body must be a JSON object.", code: "invalid_json" }],
        });
      }
      expect(await countRows(server, "user")).toBe(before);
    });

    it("treats an empty body as {} (required errors)", async () => {
      const c = server.client(kind);
      await c.get("/config");
      for (const raw of ["", "   ", "\n"]) {
        const res = await c.post("/auth/login", undefined, { raw });
        expect(res.status).toBe(400);
        expect(res.body.errors.map((e: { code: string; param: string }) => [e.code, e.param])).toEqual([
          ["required", "username"],
          ["required", "password"],
        ]);
      }
      const noBody = await c.request("POST", "/auth/login");
      expect(noBody.status).toBe(400);
      expect(noBody.body.errors).toHaveLength(2);
    });

    it("refuses bodies over http.maxBodyBytes with 413, declared or streamed", async () => {
      const c = server.client(kind);
      await c.get("/config");
      const before = await countRows(server, "user");
      const big = JSON.stringify({ username: unique(), password: "p".repeat(MAX_BODY) });
      const expected = {
        status: 413,
        errors: [{ message: "The request body is too large.", code: "payload_too_large" }],
      };

      const declared = await c.post("/auth/signup", undefined, { raw: big });
      expect(declared.status).toBe(413);
      expect(declared.body).toEqual(expected);
      expectEnvelope(declared);

      // A Content-Length that announces too much is refused before reading.
      const announced = await c.post("/auth/login", undefined, {
        raw: "{}",
        headers: { "content-length": String(MAX_BODY + 1) },
      });
      expect(announced.status).toBe(413);

      // Streamed without Content-Length, in small chunks.
      const headers = new Headers({ "content-type": "application/json" });
      if (kind === Client.BROWSER) {
        headers.set("cookie", `csrftoken=${c.cookies.get("csrftoken")}`);
        headers.set("x-csrftoken", c.cookies.get("csrftoken")!);
      }
      const bytes = new TextEncoder().encode(big);
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 100) controller.enqueue(bytes.slice(i, i + 100));
          controller.close();
        },
      });
      const streamed = await send(
        server,
        new Request(c.url("/auth/signup"), {
          method: "POST",
          headers,
          body: stream,
          duplex: "half",
        } as RequestInit),
      );
      expect(streamed.status).toBe(413);
      expect(streamed.body).toEqual(expected);

      // Just under the limit is read.
      const fits = await c.post("/auth/login", { username: "x", password: "p".repeat(MAX_BODY - 100) });
      expect(fits.status).toBe(400);
      expect(await countRows(server, "user")).toBe(before);
    });

    it("maps wrong JSON types to invalid/required on the right param", async () => {
      const c = server.client(kind);
      await c.get("/config");
      const before = await countRows(server, "user");
      const cases: [string, Record<string, unknown>, [string, string][]][] = [
        ["/auth/login", { username: "a", password: 12345678 }, [["invalid", "password"]]],
        ["/auth/login", { username: ["a"], password: "x" }, [["invalid", "username"]]],
        ["/auth/login", { username: { a: 1 }, password: "x" }, [["invalid", "username"]]],
        [
          "/auth/login",
          { username: true, password: false },
          [
            ["invalid", "username"],
            ["invalid", "password"],
          ],
        ],
        [
          "/auth/login",
          { username: null, password: null },
          [
            ["required", "username"],
            ["required", "password"],
          ],
        ],
        ["/auth/login", { username: "   ", password: "x" }, [["required", "username"]]],
        [
          "/auth/login",
          { username: "a\u0000b", password: "\u0000" },
          [
            ["null_characters_not_allowed", "username"],
            ["null_characters_not_allowed", "password"],
          ],
        ],
        // Django reports every field's errors: the password's policy errors come with the email's.
        [
          "/auth/signup",
          { email: { a: 1 }, username: "ok", password: "x" },
          [
            ["invalid", "email"],
            ["password_too_short", "password"],
          ],
        ],
        [
          "/auth/signup",
          { email: 5, username: ["a"], password: 7 },
          [
            ["invalid", "email"],
            ["invalid", "username"],
            ["invalid", "password"],
          ],
        ],
        [
          "/auth/signup",
          { email: null, username: null, password: null },
          [
            ["required", "username"],
            ["required", "password"],
          ],
        ],
        ["/auth/reauthenticate", { password: 1 }, [["invalid", "password"]]],
        ["/account/password/change", { new_password: { x: 1 } }, [["invalid", "new_password"]]],
      ];
      const anonymousOnly = new Set(["/auth/login", "/auth/signup"]);
      for (const [path, body, expected] of cases) {
        if (!anonymousOnly.has(path)) continue;
        const res = await c.post(path, body);
        expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400);
        expectEnvelope(res);
        expect(res.body.errors.map((e: { code: string; param: string }) => [e.code, e.param])).toEqual(
          expected,
        );
        for (const e of res.body.errors) expect(e.message).toBeTypeOf("string");
      }
      expect(await countRows(server, "user")).toBe(before);

      const user = await insertUser(server);
      const logged = await loginClient(server, kind, user);
      for (const [path, body, expected] of cases) {
        if (anonymousOnly.has(path)) continue;
        const res = await logged.post(path, body);
        expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400);
        expect(res.body.errors.map((e: { code: string; param: string }) => [e.code, e.param])).toEqual(
          expected,
        );
      }
    });

    it("never answers 500 to junk", async () => {
      const c = server.client(kind);
      await c.get("/config");
      const junk: unknown[] = [
        { username: "\u0000", password: "\u0000" },
        { username: "a".repeat(MAX_BODY - 100), password: "x" },
        { username: "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", password: "🔑🔑🔑" },
        { username: "a", password: "x", extra: { deeply: [{ nested: true }] } },
      ];
      for (const body of junk) {
        for (const path of [
          "/auth/login",
          "/auth/signup",
          "/auth/reauthenticate",
          "/account/password/change",
        ]) {
          const res = await c.post(path, body);
          expect(res.status, `${path} ${JSON.stringify(body)}`).toBeLessThan(500);
          expectEnvelope(res);
        }
      }
      for (const raw of [
        '{"__proto__": {"polluted": true}, "username": "a", "password": "b"}',
        '{"constructor": {"prototype": {"polluted": true}}, "username": "a", "password": "b"}',
        '{"username": "\\ud800", "password": "\\udfff"}',
        `{"username": "a", "password": "b", "deep": ${"[".repeat(400)}${"]".repeat(400)}}`,
      ]) {
        for (const path of ["/auth/login", "/auth/signup"]) {
          const res = await c.post(path, undefined, { raw });
          expect(res.status, `${path} ${raw.slice(0, 60)}`).toBeLessThan(500);
          expectEnvelope(res);
        }
      }
      expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    });
  });
});

describe.each(storelessDialects)("HTTP pipeline under other options (%s)", (dialect) => {
  it("only serves the trees listed in clients", async () => {
    const browserOnly = await startLatchkey(dialect, { clients: ["browser"] });
    const app = await browserOnly.client(Client.APP).get("/config");
    expect(app.status).toBe(404);
    expect(app.body).toEqual(NOT_FOUND);
    expect((await browserOnly.client(Client.BROWSER).get("/config")).status).toBe(200);
  });

  it("serves under another basePath", async () => {
    const other = await startLatchkey(dialect, { basePath: "/auth-api" });
    const c = other.client(Client.APP);
    expect(c.url("/config")).toBe("http://localhost:8000/auth-api/app/v1/config");
    expect((await c.get("/config")).status).toBe(200);
    const old = await c.get("http://localhost:8000/_allauth/app/v1/config");
    expect(old.status).toBe(404);
  });
});
