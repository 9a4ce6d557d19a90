import { describe, expect, it } from "vitest";
import { Client } from "../../src/core/enums.js";
import { clients, type TestClient } from "../helpers/client.js";
import { type TestServer, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import { newUser, PASSWORD } from "../tokens/support.js";

interface Listed {
  id: number;
  user_agent: string;
  ip: string;
  created_at: number;
  is_current: boolean;
  last_seen_at?: number;
}

/** Another session of the same user, from another device. */
async function secondDevice(server: TestServer, kind: Client, username: string, userAgent = "Device/2.0") {
  const device = server.client(kind, "10.0.0.2");
  if (kind === Client.BROWSER) await device.get("/config");
  const r = await device.post(
    "/auth/login",
    { username, password: PASSWORD },
    { headers: { "user-agent": userAgent } },
  );
  expect(r.status).toBe(200);
  return device;
}

async function list(client: TestClient): Promise<Listed[]> {
  const r = await client.get("/auth/sessions");
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.data;
}

describe.each(dialects)("usersessions (%s)", (dialect) => {
  describe.each(clients)("%s client", (kind) => {
    const server = useLatchkey(dialect);

    const anonymous = async () => {
      const c = server.client(kind);
      if (kind === Client.BROWSER) await c.get("/config");
      return c;
    };

    it("answers anonymous callers with 401 flows, before reading the body", async () => {
      const c = await anonymous();
      const get = await c.get("/auth/sessions");
      expect(get.status).toBe(401);
      expect(get.body.meta.is_authenticated).toBe(false);
      expect(Array.isArray(get.body.data.flows)).toBe(true);
      const del = await c.delete("/auth/sessions", { sessions: "nonsense" });
      expect(del.status).toBe(401);
      expect(del.body.data.flows).toBeDefined();
    });

    it("lists the session after login (allauth's shape; no last_seen_at by default)", async () => {
      const before = Date.now() / 1000;
      const { client } = await newUser(server, await anonymous());
      const sessions = await list(client);
      expect(sessions).toHaveLength(1);
      const [s] = sessions;
      expect(Object.keys(s!).sort()).toEqual(["created_at", "id", "ip", "is_current", "user_agent"]);
      expect(s!.is_current).toBe(true);
      expect(s!.ip).toBe("127.0.0.1");
      expect(typeof s!.user_agent).toBe("string");
      expect(Number.isInteger(s!.id)).toBe(true);
      expect(s!.created_at).toBeGreaterThanOrEqual(before - 1);
      expect(s!.created_at).toBeLessThanOrEqual(Date.now() / 1000 + 1);
    });

    it("lists every session of the user, marks the current one, and ends another", async () => {
      const { client, username } = await newUser(server, await anonymous());
      const device = await secondDevice(server, kind, username);
      const mine = await list(client);
      expect(mine).toHaveLength(2);
      const theirs = await list(device);
      expect(theirs.map((s) => s.id)).toEqual(mine.map((s) => s.id));
      const other = mine.find((s) => !s.is_current)!;
      expect(other).toMatchObject({ ip: "10.0.0.2", user_agent: "Device/2.0" });
      expect(theirs.find((s) => s.is_current)!.id).toBe(other.id);

      const r = await client.delete("/auth/sessions", { sessions: [other.id] });
      expect(r.status).toBe(200);
      expect(r.body.data).toHaveLength(1);
      expect(r.body.data[0].is_current).toBe(true);

      // The ended device: its token is dead (app 410), or its cookie no longer logs in (browser 401).
      const after = await device.get("/auth/session");
      expect(after.status).toBe(kind === Client.APP ? 410 : 401);
      expect((await client.get("/auth/session")).status).toBe(200);
    });

    it("ending the current session logs out (401) and removes it", async () => {
      const { client, username } = await newUser(server, await anonymous());
      const device = await secondDevice(server, kind, username);
      const [current] = (await list(client)).filter((s) => s.is_current);
      const r = await client.delete("/auth/sessions", { sessions: [current!.id] });
      expect(r.status).toBe(401);
      expect(r.body.meta.is_authenticated).toBe(false);
      expect(r.body.meta).not.toHaveProperty("session_token");
      const remaining = await list(device);
      expect(remaining.map((s) => s.id)).not.toContain(current!.id);
      expect(remaining).toHaveLength(1);
      const next = await client.get("/auth/session");
      expect(next.status).toBe(kind === Client.APP ? 410 : 401);
    });

    it("ending all sessions at once: the others go too, and the caller is logged out", async () => {
      const { client, username } = await newUser(server, await anonymous());
      const device = await secondDevice(server, kind, username);
      const ids = (await list(client)).map((s) => s.id);
      const r = await client.delete("/auth/sessions", { sessions: ids.map(String) });
      expect(r.status).toBe(401);
      expect((await device.get("/auth/session")).status).toBe(kind === Client.APP ? 410 : 401);
    });

    it("validates the list as Django's ModelMultipleChoiceField does", async () => {
      const { client } = await newUser(server, await anonymous());
      const other = await newUser(server, await anonymous(), "other");
      const [otherSession] = await list(other.client);
      const [mine] = await list(client);
      const cases: [unknown, string, string][] = [
        [undefined, "required", "This field is required."],
        [null, "required", "This field is required."],
        [[], "required", "This field is required."],
        ["", "required", "This field is required."],
        [0, "required", "This field is required."],
        [false, "required", "This field is required."],
        [{}, "required", "This field is required."],
        [String(mine!.id), "invalid_list", "Enter a list of values."],
        [mine!.id, "invalid_list", "Enter a list of values."],
        [true, "invalid_list", "Enter a list of values."],
        [[[mine!.id]], "invalid_list", "Enter a list of values."],
        [[{ id: mine!.id }], "invalid_list", "Enter a list of values."],
        [["abc"], "invalid_pk_value", "“abc” is not a valid value."],
        [["1.5"], "invalid_pk_value", "“1.5” is not a valid value."],
        [[mine!.id, "x"], "invalid_pk_value", "“x” is not a valid value."],
        [[999_999], "invalid_choice", "Select a valid choice. 999999 is not one of the available choices."],
        [
          [otherSession!.id],
          "invalid_choice",
          `Select a valid choice. ${otherSession!.id} is not one of the available choices.`,
        ],
        [[true], "invalid_choice", "Select a valid choice. True is not one of the available choices."],
        [[null], "invalid_choice", "Select a valid choice. None is not one of the available choices."],
        [[1.5], "invalid_choice", "Select a valid choice. 1.5 is not one of the available choices."],
        [
          [`0${mine!.id}`],
          "invalid_choice",
          `Select a valid choice. 0${mine!.id} is not one of the available choices.`,
        ],
        [{ abc: 1 }, "invalid_pk_value", "“abc” is not a valid value."],
      ];
      for (const [sessions, code, message] of cases) {
        const body = sessions === undefined ? {} : { sessions };
        const r = await client.delete("/auth/sessions", body);
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.body.errors, JSON.stringify(body)).toEqual([{ message, code, param: "sessions" }]);
      }
      // Nothing was ended: neither the caller's session nor the other user's.
      expect(await list(client)).toHaveLength(1);
      expect(await list(other.client)).toHaveLength(1);
      // A body that is not JSON is refused before anything is ended.
      const raw = await client.delete("/auth/sessions", undefined, { raw: "[1" });
      expect(raw.status).toBe(400);
      expect(await list(client)).toHaveLength(1);
    });

    it("never lists other users' sessions", async () => {
      const a = await newUser(server, await anonymous(), "a");
      const b = await newUser(server, await anonymous(), "b");
      const idsA = (await list(a.client)).map((s) => s.id);
      const idsB = (await list(b.client)).map((s) => s.id);
      expect(idsA.filter((id) => idsB.includes(id))).toEqual([]);
    });

    it("does not list a login still waiting for a stage, nor anonymous sessions", async () => {
      const { client, username } = await newUser(server, await anonymous());
      // An anonymous session with state (a failed login leaves none; a browser has only its CSRF cookie).
      const stranger = await anonymous();
      await stranger.post("/auth/login", { username, password: "wrong-password-1" });
      expect(await list(client)).toHaveLength(1);
    });
  });
});

describe.each(dialects)("usersessions options (%s)", (dialect) => {
  describe("trackActivity", () => {
    const server = useLatchkey(dialect, { usersessions: { trackActivity: true } });

    it("reports last_seen_at, refreshed at most once a minute", async () => {
      const { client } = await newUser(server, server.client(Client.APP));
      const [first] = await list(client);
      expect(typeof first!.last_seen_at).toBe("number");
      server.advance(30_000);
      const [same] = await list(client);
      expect(same!.last_seen_at).toBe(first!.last_seen_at);
      server.advance(61_000);
      await client.get("/auth/session");
      const [later] = await list(client);
      expect(later!.last_seen_at! - first!.last_seen_at!).toBeGreaterThanOrEqual(60);
      expect(later!.created_at).toBe(first!.created_at);
    });

    it("the config says so", async () => {
      const r = await server.client(Client.APP).get("/config");
      expect(r.body.data.usersessions).toEqual({ track_activity: true });
    });
  });

  describe("disabled", () => {
    const server = useLatchkey(dialect, { usersessions: { enabled: false } });

    it("has no /auth/sessions endpoint", async () => {
      const { client } = await newUser(server, server.client(Client.APP));
      expect((await client.get("/auth/sessions")).status).toBe(404);
      expect((await client.delete("/auth/sessions", { sessions: [1] })).status).toBe(404);
    });
  });
});
