import { generateKeyPairSync, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { resolveOptions } from "../../src/latchkey.js";
import type { LatchkeyOptions } from "../../src/options/schema.js";
import { anonymousClient } from "../helpers/accounts.js";
import { clients, expectStatus } from "../helpers/client.js";
import { Client, useLatchkey } from "../helpers/latchkey.js";
import { storelessDialects } from "../helpers/stores.js";

/** The social options: what they refuse at startup (naming the option), and what they shape. */

function refusal(options: LatchkeyOptions): string {
  try {
    resolveOptions(options);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("the options were accepted");
}

const social = (s: NonNullable<LatchkeyOptions["socialaccount"]>): LatchkeyOptions => ({ socialaccount: s });
const app = { clientId: "client", secret: "secret" };

describe("social options", () => {
  it("accepts every preset with what it needs, and the development provider", () => {
    const ec = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({
      type: "pkcs8",
      format: "pem",
    });
    const o = resolveOptions(
      social({
        providers: {
          google: { apps: [app, { clientId: "ios", settings: { hidden: true } }] },
          apple: { apps: [{ ...app, key: "TEAM", settings: { certificateKey: String(ec) } }] },
          microsoft: { tenant: "organizations", apps: [app] },
          keycloak: { baseUrl: "https://sso.example.org", realm: "main", apps: [app] },
          amazon_cognito: {
            baseUrl: "https://x.auth.eu-west-1.amazoncognito.com",
            endpoints: { issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_X" },
            apps: [app],
          },
          openid_connect: {
            apps: [
              { ...app, providerId: "corp", name: "Corp", settings: { serverUrl: "https://id.example.org" } },
              { ...app, providerId: "lab", settings: { serverUrl: "http://localhost:9000/realms/lab" } },
            ],
          },
          dummy: {},
        },
        storeTokens: true,
        tokenEncryptionKey: randomBytes(32).toString("hex"),
      }),
    );
    expect(Object.keys(o.socialaccount.providers)).toHaveLength(7);
  });

  it.each([
    [{ providers: { googel: { apps: [app] } } }, "socialaccount.providers.googel: unknown provider"],
    [{ providers: { google: {} } }, "socialaccount.providers.google.apps: needs at least one app"],
    [{ providers: { dummy: { apps: [app] } } }, "socialaccount.providers.dummy.apps: dummy has no apps"],
    [
      { providers: { google: { apps: [app, { clientId: "other" }] } } },
      "socialaccount.providers.google.apps: at most one app may be visible",
    ],
    [
      { providers: { google: { apps: [app, { clientId: "client", settings: { hidden: true } }] } } },
      "socialaccount.providers.google.apps.1.clientId: is the client id of another app",
    ],
    [
      { providers: { openid_connect: { apps: [app] } } },
      "socialaccount.providers.openid_connect.apps.0.providerId: is required",
    ],
    [
      { providers: { openid_connect: { apps: [{ ...app, providerId: "x" }] } } },
      "socialaccount.providers.openid_connect.serverUrl: is required by openid_connect",
    ],
    [
      {
        providers: {
          openid_connect: {
            apps: [{ ...app, providerId: "google", settings: { serverUrl: "https://x.example" } }],
          },
        },
      },
      'providerId: "google" names another provider',
    ],
    [
      { providers: { apple: { apps: [app] } } },
      "socialaccount.providers.apple.apps.0.key: is required by apple",
    ],
    [
      { providers: { apple: { apps: [{ ...app, key: "T", settings: { certificateKey: "not a key" } }] } } },
      "certificateKey: must be an EC P-256 private key",
    ],
    [
      { providers: { keycloak: { baseUrl: "https://sso.example.org", apps: [app] } } },
      "keycloak.realm: is required by keycloak",
    ],
    [
      { providers: { amazon_cognito: { baseUrl: "https://x.example", apps: [app] } } },
      "amazon_cognito.endpoints.issuer: is required by amazon_cognito",
    ],
    [
      { providers: { github: { endpoints: { profile: "https://x.example" }, apps: [app] } } },
      "github.endpoints.profile: github has the endpoints authorization, token, userinfo, emails",
    ],
    [
      { providers: { gitlab: { baseUrl: "http://gitlab.internal", apps: [app] } } },
      "socialaccount.providers.gitlab.endpoints.authorization: must be an https:// URL (http:// only on localhost)",
    ],
    [
      { providers: { google: { apps: [app], endpoints: { token: "ftp://x" } } } },
      "must be an http:// or https:// URL",
    ],
    [{ storeTokens: true }, "socialaccount.tokenEncryptionKey: is required by socialaccount.storeTokens"],
    [{ storeTokens: true, tokenEncryptionKey: "short" }, "tokenEncryptionKey: must be 32 bytes"],
    [
      { callbackPath: "/accounts/login/callback/" },
      'callbackPath: must be a path starting with "/" with "{provider}"',
    ],
    [{ callbackPath: "/_allauth/{provider}/cb" }, "callbackPath: must lie outside basePath"],
    [
      { callbackOrigin: "https://api.example.org/" },
      'callbackOrigin: "https://api.example.org/" is not an origin',
    ],
    [
      { only: true, emailVerification: "optional" },
      'socialaccount.emailVerification: socialaccount.only requires "none"',
    ],
  ] as const)("refuses %j", (s, message) => {
    expect(refusal(social(s as never))).toContain(message);
  });

  it("socialaccount.only needs verification, login by code and MFA off", () => {
    const base = { socialaccount: { only: true } };
    expect(refusal(base)).toContain('account.emailVerification: socialaccount.only requires "none"');
    expect(refusal({ ...base, account: { emailVerification: "none" } })).toContain("mfa.enabled");
    expect(
      refusal({
        ...base,
        account: { emailVerification: "none", loginByCode: { enabled: true } },
        mfa: { enabled: false },
      }),
    ).toContain("account.loginByCode.enabled");
    expect(() =>
      resolveOptions({ ...base, account: { emailVerification: "none" }, mfa: { enabled: false } }),
    ).not.toThrow();
  });
});

describe.each(storelessDialects)("apps and flows as configured (%s)", (dialect) => {
  const server = useLatchkey(dialect, {
    socialaccount: {
      providers: {
        github: { apps: [{ clientId: "gh", secret: "s" }] },
        google: {
          apps: [
            { clientId: "web", secret: "s" },
            { clientId: "ios", settings: { hidden: true } },
          ],
        },
        openid_connect: {
          apps: [
            {
              clientId: "corp-app",
              providerId: "corp",
              name: "Corp SSO",
              settings: { serverUrl: "https://id.example.org" },
            },
          ],
        },
      },
    },
  });

  it("lists redirect providers in the browser tree and token providers in the app tree, hidden apps left out", async () => {
    const browser = await (await anonymousClient(server, Client.BROWSER)).get("/config");
    expect(browser.body.data.socialaccount.providers).toEqual([
      {
        id: "corp",
        name: "Corp SSO",
        flows: ["provider_redirect", "provider_token"],
        client_id: "corp-app",
        openid_configuration_url: "https://id.example.org/.well-known/openid-configuration",
      },
      { id: "github", name: "GitHub", flows: ["provider_redirect"], client_id: "gh" },
      { id: "google", name: "Google", flows: ["provider_redirect", "provider_token"], client_id: "web" },
    ]);
    const appTree = await (await anonymousClient(server, Client.APP)).get("/config");
    expect(appTree.body.data.socialaccount.providers.map((p: { id: string }) => p.id)).toEqual([
      "corp",
      "google",
    ]);
    const flows = (await (await anonymousClient(server, Client.BROWSER)).get("/auth/session")).body.data
      .flows;
    expect(flows).toEqual([
      { id: "login" },
      { id: "signup" },
      { id: "provider_redirect", providers: ["github", "google", "corp"] },
      { id: "provider_token", providers: ["google", "corp"] },
    ]);
  });

  it.each(clients)("%s client: a token's client_id selects the app (a hidden one too)", async (kind) => {
    const c = await anonymousClient(server, kind);
    const post = (token: Record<string, string>) =>
      c.post("/auth/provider/token", { provider: "google", process: "login", token });
    // Known apps get as far as verifying the (bad) token; an unknown client id is refused as a token.
    for (const clientId of ["web", "ios", "android"]) {
      const res = await post({ client_id: clientId, id_token: "x.y.z" });
      expectStatus(res, 400);
      expect(res.body.errors).toEqual([{ code: "invalid_token", param: "token", message: "Invalid token." }]);
    }
    const missing = await post({ id_token: "x" });
    expect(missing.body.errors).toEqual([
      { code: "client_id_required", param: "token", message: "`client_id` required." },
    ]);
    const noToken = await post({ client_id: "web" });
    expect(noToken.body.errors).toEqual([
      { code: "token_required", param: "token", message: "`id_token` and/or `access_token` required." },
    ]);
  });
});
