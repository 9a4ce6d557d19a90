import { describe, expect, it } from "vitest";
import { Client } from "../../src/core/enums.js";
import { clients } from "../helpers/client.js";
import { type TestServer, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import { newUser, PASSWORD, privateKeyFor } from "../tokens/support.js";

const NEW_PASSWORD = "Another-Staple-Lantern-4";

/** A user logged in on the given client kind and on one device of each kind. */
async function userWithDevices(server: TestServer, kind: Client) {
  const start = server.client(kind);
  const user = await newUser(server, start, "pw");
  const devices = [];
  for (const deviceKind of [Client.BROWSER, Client.APP]) {
    const device = server.client(deviceKind, "10.1.1.1");
    if (deviceKind === Client.BROWSER) await device.get("/config");
    const r = await device.post("/auth/login", { username: user.username, password: PASSWORD });
    expect(r.status).toBe(200);
    devices.push(device);
  }
  return { ...user, devices };
}

const gone = (kind: Client) => (kind === Client.APP ? 410 : 401);

describe.each(dialects)("password change and sessions (%s)", (dialect) => {
  describe.each(clients)("%s client", (kind) => {
    describe("defaults: other sessions end, no mail", () => {
      const server = useLatchkey(dialect);

      it("ends the user's other sessions and keeps the current one (with a new token)", async () => {
        const { client, devices, username } = await userWithDevices(server, kind);
        const bystander = await newUser(server, server.client(Client.APP), "by");
        const oldToken = client.token;
        const r = await client.post("/account/password/change", {
          current_password: PASSWORD,
          new_password: NEW_PASSWORD,
        });
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        expect(r.body.meta.is_authenticated).toBe(true);
        if (kind === Client.APP) {
          expect(typeof r.body.meta.session_token).toBe("string");
          expect(r.body.meta.session_token).not.toBe(oldToken);
        }
        expect((await client.get("/auth/session")).status).toBe(200);
        const sessions = await client.get("/auth/sessions");
        expect(sessions.body.data).toHaveLength(1);
        expect(sessions.body.data[0].is_current).toBe(true);
        for (const device of devices) {
          expect((await device.get("/auth/session")).status).toBe(gone(device.client));
        }
        // Another user's sessions are untouched.
        expect((await bystander.client.get("/auth/session")).status).toBe(200);
        // The old password no longer logs in; the new one does.
        const again = server.client(Client.APP);
        expect((await again.post("/auth/login", { username, password: PASSWORD })).status).toBe(400);
        expect((await again.post("/auth/login", { username, password: NEW_PASSWORD })).status).toBe(200);
        expect(server.mails().filter((m) => m.subject.includes("Password"))).toEqual([]);
      });

      it("a failed change ends nothing", async () => {
        const { client, devices } = await userWithDevices(server, kind);
        const r = await client.post("/account/password/change", {
          current_password: "wrong-password-1",
          new_password: NEW_PASSWORD,
        });
        expect(r.status).toBe(400);
        const short = await client.post("/account/password/change", {
          current_password: PASSWORD,
          new_password: "a",
        });
        expect(short.status).toBe(400);
        for (const device of devices) expect((await device.get("/auth/session")).status).toBe(200);
      });
    });

    describe("notifications on, other sessions kept", () => {
      const server = useLatchkey(dialect, {
        account: { emailNotifications: true },
        usersessions: { endOthersOnPasswordChange: false },
      });

      it("keeps the other sessions and mails password_changed", async () => {
        const { client, devices, username } = await userWithDevices(server, kind);
        const r = await client.post(
          "/account/password/change",
          { current_password: PASSWORD, new_password: NEW_PASSWORD },
          { headers: { "user-agent": "Changer/1.0" } },
        );
        expect(r.status).toBe(200);
        for (const device of devices) expect((await device.get("/auth/session")).status).toBe(200);
        const mail = server.lastMail(`${username}@example.com`);
        expect(mail.subject).toContain("Password Changed");
        expect(mail.text).toContain("Your password has been changed.");
        expect(mail.text).toContain("Changer/1.0");
      });

      it("sends no mail when the change fails", async () => {
        const { client, username } = await userWithDevices(server, kind);
        await client.post("/account/password/change", {
          current_password: "nope-nope-1",
          new_password: NEW_PASSWORD,
        });
        const mails = server
          .mails()
          .filter((m) => m.to.includes(`${username}@example.com`) && m.subject.includes("Password"));
        expect(mails).toEqual([]);
      });
    });

    describe("logoutOnPasswordChange", () => {
      const server = useLatchkey(dialect, { account: { logoutOnPasswordChange: true } });

      it("ends every session of the user, the current one included", async () => {
        const { client, devices } = await userWithDevices(server, kind);
        const r = await client.post("/account/password/change", {
          current_password: PASSWORD,
          new_password: NEW_PASSWORD,
        });
        expect(r.status).toBe(401);
        expect(r.body.meta).not.toHaveProperty("session_token");
        expect((await client.get("/auth/session")).status).toBe(gone(kind));
        for (const device of devices)
          expect((await device.get("/auth/session")).status).toBe(gone(device.client));
      });
    });
  });

  describe("setting a first password", () => {
    const server = useLatchkey(dialect, {
      account: { signupFields: ["email*", "username*"], emailNotifications: true },
    });

    it("mails password_set, not password_changed", async () => {
      const app = server.client(Client.APP);
      const r = await app.post("/auth/signup", { username: "nopw", email: "nopw@example.com" });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.data.user.has_usable_password).toBe(false);
      const set = await app.post("/account/password/change", { new_password: NEW_PASSWORD });
      expect(set.status, JSON.stringify(set.body)).toBe(200);
      const mail = server.lastMail("nopw@example.com");
      expect(mail.subject).toContain("Password Set");
      expect(mail.text).toContain("Your password has been set.");
    });
  });

  describe("with the JWT strategy", () => {
    const server = useLatchkey(dialect, {
      tokens: { strategy: "jwt", jwt: { algorithm: "ES256", privateKey: privateKeyFor("ES256") } },
    });

    it("the current session's access token keeps working; the other sessions' give 410", async () => {
      const { username } = await newUser(server, server.client(Client.APP), "jwtpw");
      const login = async () => {
        const c = server.client(Client.APP);
        const r = await c.post("/auth/login", { username, password: PASSWORD });
        expect(r.status).toBe(200);
        return {
          client: c,
          access: r.body.meta.access_token as string,
          refresh: r.body.meta.refresh_token as string,
        };
      };
      const current = await login();
      const other = await login();
      const changed = await current.client.post("/account/password/change", {
        current_password: PASSWORD,
        new_password: NEW_PASSWORD,
      });
      expect(changed.status).toBe(200);
      const withBearer = (token: string) =>
        server.client(Client.APP).get("/auth/session", { headers: { authorization: `Bearer ${token}` } });
      expect((await withBearer(current.access)).status).toBe(200);
      expect((await withBearer(other.access)).status).toBe(410);
      const app = server.client(Client.APP);
      expect((await app.post("/tokens/refresh", { refresh_token: other.refresh })).status).toBe(400);
      expect((await app.post("/tokens/refresh", { refresh_token: current.refresh })).status).toBe(200);
    });
  });
});
