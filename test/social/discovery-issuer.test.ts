import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LatchkeyOptions } from "../../src/options/schema.js";
import { anonymousClient, unique } from "../helpers/accounts.js";
import { clients, expectStatus } from "../helpers/client.js";
import { Client, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import { type Idp, type IdpClient, startIdp } from "./idp.js";
import { CALLBACK, errorAt, idpApp, postRedirect, socialRows } from "./support.js";

/**
 * Discovery's mix-up defence (ASVS 10.5.3): a discovery document found at the configured
 * serverUrl but naming another issuer is refused. The document here is the real provider's, served
 * from another address with its `issuer` left as the provider's own: everything in it works,
 * except that it is not the configured issuer's. Both flows refuse it and log why.
 */

const CLIENT: IdpClient = {
  client_id: "latchkey",
  client_secret: "latchkey-secret",
  redirect_uris: ["http://localhost:8000/accounts/oidc/idp/login/callback/"],
};

let idp: Idp;
/** Serves the provider's discovery document at its own address (another issuer than the one named inside). */
let doctored: Server;
let serverUrl: string;
beforeAll(async () => {
  idp = await startIdp([CLIENT]);
  const document = await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json();
  expect(document.issuer).toBe(idp.issuer);
  doctored = createServer((request, response) => {
    if (request.url !== "/.well-known/openid-configuration") {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(document));
  });
  await new Promise<void>((resolve) => doctored.listen(0, "127.0.0.1", resolve));
  serverUrl = `http://127.0.0.1:${(doctored.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => doctored.close(resolve));
  await idp.close();
});

/** Latchkey's log lines, parsed. */
const logLines: Record<string, unknown>[] = [];
const logger = pino(
  { level: "info" },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n")) if (line) logLines.push(JSON.parse(line));
      done();
    },
  }),
);

const options = (): LatchkeyOptions => ({
  socialaccount: {
    providers: {
      openid_connect: {
        apps: [idpApp(CLIENT, serverUrl)],
      },
    },
  },
});

/** The reasons logged for provider failures since `from`. */
function loggedReasons(from: number): string[] {
  return logLines.slice(from).flatMap((line) => {
    const error = line.error as { reason?: string } | undefined;
    const reason = (line.reason as string | undefined) ?? error?.reason;
    return line.provider === "idp" && reason ? [reason] : [];
  });
}

describe.each(dialects)("a discovery document naming another issuer (%s)", (dialect) => {
  const server = useLatchkey(dialect, options, { logger });

  it("the redirect flow refuses it before sending the browser anywhere", async () => {
    const from = logLines.length;
    const c = await anonymousClient(server, Client.BROWSER);
    const started = await postRedirect(c, { provider: "idp" });
    expect(started.status).toBe(302);
    expect(started.location).toBe(errorAt(CALLBACK, "unknown"));
    expect(await socialRows(server, "social_state")).toEqual([]);
    expectStatus(await c.get("/auth/session"), 401);
    expect(loggedReasons(from)).toContain(
      '"response" body "issuer" property does not match the expected value',
    );
  });

  describe.each(clients)("%s client, token flow", (kind) => {
    it("refuses a real id_token of that provider", async () => {
      const from = logLines.length;
      const idToken = await idp.idToken(CLIENT, { sub: `sub-${unique("mixup")}` });
      const c = await anonymousClient(server, kind);
      const res = await c.post("/auth/provider/token", {
        provider: "idp",
        process: "login",
        token: { client_id: CLIENT.client_id, id_token: idToken },
      });
      expectStatus(res, 400);
      expect(res.body.errors).toEqual([{ code: "invalid_token", param: "token", message: "Invalid token." }]);
      expectStatus(await c.get("/auth/session"), 401);
      expect(await socialRows(server, "social_account")).toEqual([]);
      expect(loggedReasons(from)).toContain(
        '"response" body "issuer" property does not match the expected value',
      );
    });
  });
});
