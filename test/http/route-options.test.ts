import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { authenticated as authenticatedAnswer } from "../../src/base/auth.js";
import type { AuthenticatedContext } from "../../src/base/context.js";
import { createResponder } from "../../src/base/pipeline.js";
import { authenticated, route } from "../../src/base/route.js";
import { field } from "../../src/core/input.js";
import { ok } from "../../src/core/responses.js";
import { toResponse } from "../../src/http/exchange.js";
import {
  ANONYMOUS_FLOWS,
  anonymousClient,
  expectEnvelope,
  insertUser,
  loginClient,
} from "../helpers/accounts.js";
import { clients, TestClient } from "../helpers/client.js";
import { type Client, type TestServer, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";

/**
 * The pipeline's per-route options, on routes of the test's own: the order of login gate, rate
 * limit and body validation, and how a handler's session changes reach the client.
 */
describe.each(dialects)("route options (%s)", (dialect) => {
  const server = useLatchkey(dialect, { rateLimits: { actions: { change_password: "2/m/ip" } } });
  let custom: TestServer["latchkey"];
  beforeAll(() => {
    const routes = [
      ...server.latchkey.routes,
      route({
        method: "POST",
        path: "/test/members",
        summary: "members only",
        input: z.object({ word: field.text() }),
        gate: authenticated,
        rateLimit: "change_password",
        handler: async (ctx: AuthenticatedContext, input: { word: string }) =>
          ok({ word: input.word, user: ctx.user.id }),
      }),
      route({
        method: "GET",
        path: "/test/members",
        summary: "members only",
        gate: authenticated,
        handler: async (ctx: AuthenticatedContext) => authenticatedAnswer(ctx),
      }),
      route({
        method: "PUT",
        path: "/test/state",
        summary: "stores state",
        handler: async (ctx) => {
          ctx.session.set("test.counter", (ctx.session.get<number>("test.counter") ?? 0) + 1);
          return ok({ counter: ctx.session.get("test.counter") });
        },
      }),
    ];
    const respond = createResponder(server.latchkey.runtime, routes, []);
    custom = {
      ...server.latchkey,
      handler: async (request, info) => toResponse(await respond(request, info)),
    };
  });

  let address = 0;
  // Each client its own address: the test route's rate limit is per ip.
  const client = (kind: Client) => new TestClient(custom, kind, undefined, `10.77.0.${++address}`);

  describe.each(clients)("%s client", (kind) => {
    it("the authenticated gate answers 401 with the flows before the rate limit and the body", async () => {
      const c = client(kind);
      await c.get("/config");
      expect((await c.get("/test/members")).status).toBe(401);
      for (const body of [{}, { word: "hello" }]) {
        const res = await c.post("/test/members", body);
        expectEnvelope(res);
        expect(res.body).toEqual({
          status: 401,
          data: { flows: ANONYMOUS_FLOWS },
          meta: { is_authenticated: false },
        });
      }
      // The gate comes before the rate limit (allauth gates in dispatch, counts in handle): refused
      // callers are not counted, so the third refusal is still the 401.
      expect((await c.post("/test/members", {})).status).toBe(401);
    });

    it("lets a logged-in caller through to validation and the handler", async () => {
      const user = await insertUser(server);
      const c = client(kind);
      await c.get("/config");
      await c.post("/auth/login", { username: user.username, password: user.password });
      expect((await c.post("/test/members", {})).body.errors[0]).toMatchObject({
        code: "required",
        param: "word",
      });
      expect((await c.post("/test/members", { word: " hi " })).body).toEqual({
        status: 200,
        data: { word: "hi", user: user.id },
      });
      // The route's rate limit comes first (2/m per ip: two above).
      expect((await c.post("/test/members", { word: "hi" })).body).toEqual({ status: 429 });
    });

    it("saves state a handler stores, handing the app its token once", async () => {
      const c = client(kind);
      await c.get("/config");
      const first = await c.put("/test/state", {});
      expect(first.body.data).toEqual({ counter: 1 });
      if (kind === "app") expect(first.body.meta.session_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      else expect(c.cookies.get("sessionid")).toBeTruthy();
      const second = await c.put("/test/state", {});
      expect(second.body).toEqual({ status: 200, data: { counter: 2 } });
    });
  });

  it("the account routes still work through the default handler", async () => {
    const user = await insertUser(server);
    for (const kind of clients) {
      await loginClient(server, kind, user);
      expect((await (await anonymousClient(server, kind)).get("/auth/session")).status).toBe(401);
    }
  });
});
