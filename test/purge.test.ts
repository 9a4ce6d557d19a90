import { describe, expect, it } from "vitest";
import { countRows, insertUser, loginClient } from "./helpers/accounts.js";
import { Client, useLatchkey } from "./helpers/latchkey.js";
import { dialects } from "./helpers/stores.js";

/** latchkey.purgeExpired(): what `latchkey serve` runs every ten minutes. */
describe.each(dialects)("purging expired rows (%s)", (dialect) => {
  const server = useLatchkey(dialect, { sessions: { idleTimeout: 3600, maxAge: 7200 } });

  it("deletes sessions and mailed keys past their expiry, and nothing live", async () => {
    const user = await insertUser(server);
    await loginClient(server, Client.APP, user);
    const anonymous = server.client(Client.APP);
    await anonymous.post("/auth/password/request", { email: user.email });
    expect(await countRows(server, "session")).toBe(1);
    expect(await countRows(server, "token")).toBe(1);

    expect(await server.latchkey.purgeExpired()).toEqual({ sessions: 0, tokens: 0, codes: 0 });
    const live = await loginClient(server, Client.BROWSER, user);
    server.advance(3601 * 1000);
    // Both the idle sessions and the reset key (valid 3 days) are judged at the new time.
    expect((await server.latchkey.purgeExpired()).sessions).toBe(2);
    expect(await countRows(server, "token")).toBe(1);
    server.advance(3 * 86_400 * 1000);
    expect((await server.latchkey.purgeExpired()).tokens).toBe(1);
    expect((await live.get("/auth/session")).status).toBe(401);
  });
});

describe.each(dialects)("purging expired code processes (%s)", (dialect) => {
  const server = useLatchkey(dialect, {
    account: { loginMethods: ["email"], loginByCode: { enabled: true, timeout: 180 } },
  });

  it("deletes a mailed code's process once it expired", async () => {
    const user = await insertUser(server);
    await server.client(Client.APP).post("/auth/code/request", { email: user.email });
    expect(await countRows(server, "code_process")).toBe(1);
    expect((await server.latchkey.purgeExpired()).codes).toBe(0);
    server.advance(181 * 1000);
    expect((await server.latchkey.purgeExpired()).codes).toBe(1);
    expect(await countRows(server, "code_process")).toBe(0);
  });
});
