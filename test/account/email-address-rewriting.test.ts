import { describe, expect, it } from "vitest";
import {
  anonymousClient,
  countRows,
  insertUser,
  loginClient,
  PASSWORD,
  unique,
} from "../helpers/accounts.js";
import { clients, expectStatus } from "../helpers/client.js";
import { useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";

const INVALID = { message: "Enter a valid email address.", code: "invalid", param: "email" };

/**
 * Addresses that Django's EmailValidator accepts but that would not be mailed as stored: the
 * mail library rewrites the quoted local part, drops the control characters (which the console
 * transport would print raw), or splits the address at the U+FEFF that IDNA ignores.
 */
const REWRITTEN = () => [
  `"<${unique()}@evil.example>"@example.com`,
  `"${unique()},x"@example.com`,
  `"${unique()}"@example.com`,
  `"${unique()}\u0007"@example.com`,
  `"${unique()}\u001b[2J"@example.com`,
  `${unique()}@evil.example\ufeff.example.com`,
  `${unique()}@evil.example/x.example.com`,
];

describe.each(dialects)("addresses the mail library would rewrite (%s)", (dialect) => {
  const server = useLatchkey(dialect);

  async function stored() {
    return {
      users: await countRows(server, "user"),
      addresses: await countRows(server, "email_address"),
      mails: server.mails().length,
    };
  }

  describe.each(clients)("%s client", (kind) => {
    it("are refused at signup as invalid, and nothing is stored or mailed", async () => {
      for (const email of REWRITTEN()) {
        const before = await stored();
        const c = await anonymousClient(server, kind);
        const res = await c.post("/auth/signup", { email, username: unique(), password: PASSWORD });
        expectStatus(res, 400);
        expect(res.body.errors, email).toEqual([INVALID]);
        expect(await stored(), email).toEqual(before);
      }
    });

    it("are refused when adding an address, and nothing is stored or mailed", async () => {
      const c = await loginClient(server, kind, await insertUser(server));
      for (const email of REWRITTEN()) {
        const before = await stored();
        const res = await c.post("/account/email", { email });
        expectStatus(res, 400);
        expect(res.body.errors, email).toEqual([INVALID]);
        expect(await stored(), email).toEqual(before);
      }
    });
  });
});
