import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "../../src/core/enums.js";
import type { LatchkeyOptions } from "../../src/options/schema.js";
import { anonymousClient, expectEnvelope } from "../helpers/accounts.js";
import { clients, expectStatus, type TestClient } from "../helpers/client.js";
import { type TestServer, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import { appsecretProof, type Expected, type FakeProvider, startFakeProvider } from "./fake-provider.js";
import { addressesOf, browse, CALLBACK, errorAt, postRedirect } from "./support.js";

/**
 * Every preset through the redirect flow, against a local server answering its token endpoint
 * and APIs with the provider's documented response shapes: the authorization request it makes
 * (endpoint, scope, PKCE, nonce, its own parameters), the code exchange (client authentication,
 * PKCE verifier) and the profile mapping (uid, addresses and whether they are verified, username,
 * display). Then the token flow of the presets that have one.
 */

let fake: FakeProvider;
beforeAll(async () => {
  fake = await startFakeProvider();
});
afterAll(async () => {
  await fake.close();
});

const epoch = () => Math.floor(Date.now() / 1000);

/** A signed id_token from the fake provider's key. */
function idToken(claims: Record<string, unknown>): Promise<string> {
  return fake.sign({ iat: epoch(), exp: epoch() + 3600, ...claims });
}

interface Address {
  email: string;
  verified: boolean;
  primary: boolean;
}

interface PresetCase {
  id: string;
  clientId: string;
  secret: string;
  auth: "post" | "basic" | "apple";
  /** The provider entry, its endpoints on the fake server. */
  config(base: string): Record<string, unknown>;
  /** Where the browser is sent (origin and path). */
  authorize(base: string): string;
  scope: string | null;
  pkce: boolean;
  nonce: boolean;
  params?: Record<string, string>;
  /** The fake server's routes for this preset. */
  serve(base: string, c: PresetCase): void;
  /** What Apple form-posts besides the code. */
  formPost?: Record<string, string>;
  expect: { uid: string; addresses: Address[]; username?: string; display: string };
  /** Checks of the requests the preset made. */
  check?(c: PresetCase): void;
}

const bearer = (token: string) => `Bearer ${token}`;

/** An API answering `json` to its Bearer token only. */
function api(path: string, token: string, json: unknown) {
  fake.route(path, (request) =>
    request.headers.authorization === bearer(token)
      ? { json }
      : { status: 401, json: { error: "invalid_token" } },
  );
}

function lastRequest(path: string) {
  const found = [...fake.requests].reverse().find((r) => r.url.pathname === path);
  if (!found) throw new Error(`no request to ${path}`);
  return found;
}

function plainTokens(token: string, extra: Record<string, unknown> = {}) {
  return async () => ({ access_token: token, token_type: "bearer", expires_in: 3600, ...extra });
}

const CASES: PresetCase[] = [
  {
    id: "google",
    clientId: "google-client.apps.googleusercontent.com",
    secret: "google-secret",
    auth: "post",
    config: (b) => ({
      apps: [
        { clientId: "google-client.apps.googleusercontent.com", secret: "google-secret" },
        // The iOS app's client id: for tokens only, never offered to browsers.
        { clientId: "google-ios.apps.googleusercontent.com", settings: { hidden: true } },
      ],
      endpoints: { token: `${b}/google/token`, userinfo: `${b}/google/userinfo`, jwks: `${b}/jwks` },
    }),
    authorize: () => "https://accounts.google.com/o/oauth2/v2/auth",
    scope: "openid profile email",
    pkce: true,
    nonce: true,
    serve(b, c) {
      fake.tokenEndpoint(
        "/google/token",
        { auth: "post", clientId: c.clientId, secret: c.secret },
        async (e) => ({
          access_token: "ya29.google",
          expires_in: 3599,
          scope:
            "openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile",
          token_type: "Bearer",
          id_token: await idToken({
            iss: "https://accounts.google.com",
            azp: c.clientId,
            aud: c.clientId,
            sub: "110169484474386276334",
            email: "ada.lovelace@gmail.com",
            email_verified: true,
            at_hash: "HK6E_P6Dh8Y93mRNtsDB1Q",
            name: "Ada Lovelace",
            picture: "https://lh3.googleusercontent.com/a/ACg8ocJ",
            given_name: "Ada",
            family_name: "Lovelace",
            nonce: e.nonce,
          }),
        }),
      );
      void b;
    },
    expect: {
      uid: "110169484474386276334",
      addresses: [{ email: "ada.lovelace@gmail.com", verified: true, primary: true }],
      display: "ada.lovelace@gmail.com",
    },
  },
  {
    id: "apple",
    clientId: "com.example.web",
    secret: "KEYID12345",
    auth: "apple",
    config: (b) => ({
      apps: [
        {
          clientId: "com.example.web",
          secret: "KEYID12345",
          key: "TEAMID1234",
          settings: { certificateKey: fake.applePrivateKeyPem },
        },
      ],
      endpoints: { token: `${b}/apple/token`, jwks: `${b}/jwks` },
    }),
    authorize: () => "https://appleid.apple.com/auth/authorize",
    scope: "name email",
    pkce: false,
    nonce: true,
    params: { response_mode: "form_post" },
    serve(_b, c) {
      fake.tokenEndpoint(
        "/apple/token",
        { auth: "apple", clientId: c.clientId, secret: c.secret },
        async (e) => ({
          access_token: "apple-access",
          token_type: "Bearer",
          expires_in: 3600,
          refresh_token: "apple-refresh",
          id_token: await idToken({
            iss: "https://appleid.apple.com",
            aud: c.clientId,
            sub: "001234.5f3a6b7c8d9e.1234",
            email: "x7k2@privaterelay.appleid.com",
            email_verified: "true",
            is_private_email: "true",
            auth_time: epoch(),
            nonce_supported: true,
            nonce: e.nonce,
          }),
        }),
      );
    },
    formPost: {
      user: JSON.stringify({
        name: { firstName: "Ada", lastName: "Lovelace" },
        email: "x7k2@privaterelay.appleid.com",
      }),
    },
    expect: {
      uid: "001234.5f3a6b7c8d9e.1234",
      addresses: [{ email: "x7k2@privaterelay.appleid.com", verified: true, primary: true }],
      display: "Ada Lovelace",
    },
  },
  {
    id: "microsoft",
    clientId: "ms-client",
    secret: "ms-secret",
    auth: "post",
    config: (b) => ({
      tenant: "contoso.onmicrosoft.com",
      endpoints: { token: `${b}/ms/token`, userinfo: `${b}/ms/me` },
    }),
    authorize: () => "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize",
    scope: "User.Read",
    pkce: true,
    nonce: false,
    serve(_b, c) {
      fake.tokenEndpoint(
        "/ms/token",
        { auth: "post", clientId: c.clientId, secret: c.secret },
        plainTokens("ms-token", { token_type: "Bearer", scope: "User.Read", ext_expires_in: 3600 }),
      );
      api("/ms/me", "ms-token", {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
        businessPhones: ["+1 425 555 0109"],
        displayName: "Adele Vance",
        givenName: "Adele",
        jobTitle: "Retail Manager",
        mail: "AdeleV@contoso.com",
        mobilePhone: null,
        officeLocation: "18/2111",
        preferredLanguage: "en-US",
        surname: "Vance",
        userPrincipalName: "AdeleV@contoso.onmicrosoft.com",
        mailNickname: "AdeleV",
        id: "87d349ed-44d7-43e1-9a83-5f2406dee5bd",
      });
    },
    expect: {
      uid: "87d349ed-44d7-43e1-9a83-5f2406dee5bd",
      addresses: [{ email: "adelev@contoso.com", verified: false, primary: true }],
      username: "AdeleV",
      display: "AdeleV@contoso.com",
    },
    check: () => expect(lastRequest("/ms/me").url.searchParams.get("$select")).toContain("userPrincipalName"),
  },
  {
    id: "github",
    clientId: "gh-client",
    secret: "gh-secret",
    auth: "post",
    config: (b) => ({ baseUrl: `${b}/ghe` }),
    authorize: (b) => `${b}/ghe/login/oauth/authorize`,
    scope: "user:email",
    pkce: true,
    nonce: false,
    serve(_b, c) {
      fake.tokenEndpoint(
        "/ghe/login/oauth/access_token",
        { auth: "post", clientId: c.clientId, secret: c.secret },
        async () => ({
          access_token: "gho_16C7e42F292c6912E7710c838347Ae178B4a",
          scope: "user:email",
          token_type: "bearer",
        }),
      );
      const token = "gho_16C7e42F292c6912E7710c838347Ae178B4a";
      api("/ghe/api/v3/user", token, {
        login: "octocat",
        id: 583231,
        node_id: "MDQ6VXNlcjU4MzIzMQ==",
        avatar_url: "https://avatars.githubusercontent.com/u/583231?v=4",
        html_url: "https://github.com/octocat",
        type: "User",
        name: "The Octocat",
        company: "@github",
        email: null,
      });
      api("/ghe/api/v3/user/emails", token, [
        { email: "octocat@github.com", verified: true, primary: true, visibility: "public" },
        { email: "octocat@users.noreply.github.com", verified: true, primary: false, visibility: null },
        { email: "old@example.com", verified: false, primary: false, visibility: null },
      ]);
    },
    expect: {
      uid: "583231",
      addresses: [
        { email: "octocat@github.com", verified: true, primary: true },
        { email: "octocat@users.noreply.github.com", verified: true, primary: false },
        { email: "old@example.com", verified: false, primary: false },
      ],
      username: "octocat",
      display: "octocat",
    },
  },
  {
    id: "gitlab",
    clientId: "gl-client",
    secret: "gl-secret",
    auth: "post",
    config: (b) => ({ baseUrl: `${b}/gitlab` }),
    authorize: (b) => `${b}/gitlab/oauth/authorize`,
    scope: "read_user",
    pkce: true,
    nonce: false,
    serve(_b, c) {
      fake.tokenEndpoint(
        "/gitlab/oauth/token",
        { auth: "post", clientId: c.clientId, secret: c.secret },
        async () => ({
          access_token: "gl-token",
          token_type: "Bearer",
          expires_in: 7200,
          refresh_token: "gl-refresh",
          scope: "read_user",
          created_at: epoch(),
        }),
      );
      api("/gitlab/api/v4/user", "gl-token", {
        id: 1,
        username: "john_smith",
        email: "john@example.com",
        name: "John Smith",
        state: "active",
        avatar_url: "http://localhost:3000/uploads/user/avatar/1/index.jpg",
        web_url: "http://localhost:3000/john_smith",
        confirmed_at: "2012-05-23T09:05:22Z",
      });
    },
    expect: {
      uid: "1",
      addresses: [{ email: "john@example.com", verified: false, primary: true }],
      username: "john_smith",
      display: "john_smith",
    },
  },
  {
    id: "facebook",
    clientId: "fb-app",
    secret: "fb-secret",
    auth: "post",
    config: (b) => ({
      endpoints: {
        token: `${b}/fb/oauth/access_token`,
        userinfo: `${b}/fb/me`,
        debugToken: `${b}/fb/debug_token`,
        jwks: `${b}/jwks`,
      },
    }),
    authorize: () => "https://www.facebook.com/v23.0/dialog/oauth",
    scope: "email",
    pkce: false,
    nonce: false,
    serve(_b, c) {
      fake.tokenEndpoint(
        "/fb/oauth/access_token",
        { auth: "post", clientId: c.clientId, secret: c.secret },
        plainTokens("EAAGm0PX4ZCps", { expires_in: 5183944 }),
      );
      fake.route("/fb/me", (request) => {
        const token = request.headers.authorization?.replace("Bearer ", "") ?? "";
        if (request.url.searchParams.get("appsecret_proof") !== appsecretProof("fb-secret", token)) {
          return { status: 400, json: { error: { message: "Invalid appsecret_proof" } } };
        }
        return {
          json: {
            id: "10158000000000001",
            name: "Ada Lovelace",
            first_name: "Ada",
            last_name: "Lovelace",
            email: "ada@example.com",
          },
        };
      });
      fake.route("/fb/debug_token", (request) => ({
        json: {
          data: {
            app_id: "fb-app",
            type: "USER",
            application: "Example",
            expires_at: epoch() + 3600,
            is_valid: request.url.searchParams.get("input_token") === "EAAGm0PX4ZCps",
            scopes: ["email", "public_profile"],
            user_id: "10158000000000001",
          },
        },
      }));
    },
    expect: {
      uid: "10158000000000001",
      addresses: [{ email: "ada@example.com", verified: false, primary: true }],
      display: "ada@example.com",
    },
  },
  {
    id: "discord",
    clientId: "dc-client",
    secret: "dc-secret",
    auth: "post",
    config: (b) => ({ endpoints: { token: `${b}/discord/token`, userinfo: `${b}/discord/me` } }),
    authorize: () => "https://discord.com/oauth2/authorize",
    scope: "email identify",
    pkce: false,
    nonce: false,
    serve(_b, c) {
      fake.tokenEndpoint(
        "/discord/token",
        { auth: "post", clientId: c.clientId, secret: c.secret },
        plainTokens("dc-token", {
          token_type: "Bearer",
          refresh_token: "dc-refresh",
          scope: "identify email",
        }),
      );
      api("/discord/me", "dc-token", {
        id: "80351110224678912",
        username: "nelly",
        discriminator: "0",
        global_name: "Nelly",
        avatar: "8342729096ea3675442027381ff50dfe",
        verified: true,
        email: "nelly@discord.com",
        flags: 64,
        premium_type: 1,
        public_flags: 64,
      });
    },
    expect: {
      uid: "80351110224678912",
      addresses: [{ email: "nelly@discord.com", verified: true, primary: true }],
      username: "nelly",
      display: "Nelly",
    },
  },
  {
    id: "slack",
    clientId: "slack-client",
    secret: "slack-secret",
    auth: "post",
    config: (b) => ({ endpoints: { token: `${b}/slack/token`, userinfo: `${b}/slack/userInfo` } }),
    authorize: () => "https://slack.com/openid/connect/authorize",
    scope: "openid profile email",
    pkce: false,
    nonce: true,
    serve(_b, c) {
      const claims = {
        sub: "U0R7MFMJM",
        "https://slack.com/user_id": "U0R7MFMJM",
        "https://slack.com/team_id": "T0R7GR",
        email: "krane@slack-corp.com",
        email_verified: true,
        name: "krane",
        given_name: "Bront",
        family_name: "Labradoodle",
        picture: "https://secure.gravatar.com/avatar/bc.png",
      };
      fake.tokenEndpoint(
        "/slack/token",
        { auth: "post", clientId: c.clientId, secret: c.secret },
        async (e) => ({
          ok: true,
          access_token: "xoxp-1234",
          token_type: "Bearer",
          id_token: await idToken({ iss: "https://slack.com", aud: c.clientId, nonce: e.nonce, ...claims }),
        }),
      );
      api("/slack/userInfo", "xoxp-1234", {
        ok: true,
        ...claims,
        "https://slack.com/team_name": "kraneflannel",
      });
    },
    expect: {
      uid: "T0R7GR_U0R7MFMJM",
      addresses: [{ email: "krane@slack-corp.com", verified: true, primary: true }],
      display: "krane@slack-corp.com",
    },
  },
  {
    id: "linkedin_oauth2",
    clientId: "li-client",
    secret: "li-secret",
    auth: "post",
    config: (b) => ({ endpoints: { token: `${b}/linkedin/token`, userinfo: `${b}/linkedin/userinfo` } }),
    authorize: () => "https://www.linkedin.com/oauth/v2/authorization",
    scope: "openid profile email",
    pkce: false,
    nonce: true,
    serve(_b, c) {
      const claims = {
        sub: "782bbtaQ",
        name: "John Doe",
        given_name: "John",
        family_name: "Doe",
        picture:
          "https://media.licdn-ei.com/dms/image/C5F03AQHqK8v7tB1HCQ/profile-displayphoto-shrink_100_100/0/",
        locale: "en-US",
        email: "doe@email.com",
        email_verified: true,
      };
      fake.tokenEndpoint(
        "/linkedin/token",
        { auth: "post", clientId: c.clientId, secret: c.secret },
        async (e) => ({
          access_token: "AQUvlL_DYEzvT2wz1QJiEPeLioeA",
          expires_in: 5184000,
          scope: "email,openid,profile",
          token_type: "Bearer",
          id_token: await idToken({
            iss: "https://www.linkedin.com/oauth",
            aud: c.clientId,
            nonce: e.nonce,
            ...claims,
          }),
        }),
      );
      api("/linkedin/userinfo", "AQUvlL_DYEzvT2wz1QJiEPeLioeA", claims);
    },
    expect: {
      uid: "782bbtaQ",
      addresses: [{ email: "doe@email.com", verified: true, primary: true }],
      display: "doe@email.com",
    },
  },
  {
    id: "twitter_oauth2",
    clientId: "x-client",
    secret: "x-secret",
    auth: "basic",
    config: (b) => ({ endpoints: { token: `${b}/x/token`, userinfo: `${b}/x/users/me` } }),
    authorize: () => "https://x.com/i/oauth2/authorize",
    scope: "users.read tweet.read",
    pkce: true,
    nonce: false,
    serve(_b, c) {
      fake.tokenEndpoint(
        "/x/token",
        { auth: "basic", clientId: c.clientId, secret: c.secret },
        plainTokens("x-token", { expires_in: 7200, scope: "users.read tweet.read" }),
      );
      api("/x/users/me", "x-token", {
        data: {
          id: "2244994945",
          name: "Developers",
          username: "XDevelopers",
          profile_image_url: "https://pbs.twimg.com/profile_images/x_normal.jpg",
          verified: false,
          created_at: "2013-12-14T04:35:55.000Z",
        },
      });
    },
    expect: { uid: "2244994945", addresses: [], username: "XDevelopers", display: "XDevelopers" },
  },
  {
    id: "twitch",
    clientId: "twitch-client",
    secret: "twitch-secret",
    auth: "post",
    config: (b) => ({ endpoints: { token: `${b}/twitch/token`, userinfo: `${b}/twitch/users` } }),
    authorize: () => "https://id.twitch.tv/oauth2/authorize",
    scope: "user:read:email",
    pkce: false,
    nonce: false,
    serve(_b, c) {
      // Twitch answers `scope` as a list.
      fake.tokenEndpoint(
        "/twitch/token",
        { auth: "post", clientId: c.clientId, secret: c.secret },
        plainTokens("twitch-token", { refresh_token: "twitch-refresh", scope: ["user:read:email"] }),
      );
      fake.route("/twitch/users", (request) =>
        request.headers["client-id"] === "twitch-client" &&
        request.headers.authorization === bearer("twitch-token")
          ? {
              json: {
                data: [
                  {
                    id: "141981764",
                    login: "twitchdev",
                    display_name: "TwitchDev",
                    type: "",
                    broadcaster_type: "partner",
                    description: "Supporting third-party developers",
                    profile_image_url: "https://static-cdn.jtvnw.net/jtv_user_pictures/8a6381c7.png",
                    view_count: 5980557,
                    email: "not-real@email.com",
                    created_at: "2016-12-14T20:32:28Z",
                  },
                ],
              },
            }
          : { status: 401, json: { error: "Unauthorized" } },
      );
    },
    expect: {
      uid: "141981764",
      addresses: [{ email: "not-real@email.com", verified: false, primary: true }],
      username: "twitchdev",
      display: "twitchdev",
    },
  },
  {
    id: "spotify",
    clientId: "sp-client",
    secret: "sp-secret",
    auth: "post",
    config: (b) => ({ endpoints: { token: `${b}/spotify/token`, userinfo: `${b}/spotify/me` } }),
    authorize: () => "https://accounts.spotify.com/authorize",
    scope: "user-read-email",
    pkce: true,
    nonce: false,
    serve(_b, c) {
      fake.tokenEndpoint(
        "/spotify/token",
        { auth: "post", clientId: c.clientId, secret: c.secret },
        plainTokens("sp-token", {
          token_type: "Bearer",
          scope: "user-read-email",
          refresh_token: "sp-refresh",
        }),
      );
      api("/spotify/me", "sp-token", {
        country: "SE",
        display_name: "JM Wizzler",
        email: "email@example.com",
        external_urls: { spotify: "https://open.spotify.com/user/wizzler" },
        href: "https://api.spotify.com/v1/users/wizzler",
        id: "wizzler",
        images: [{ height: null, url: "https://fbcdn-profile-a.akamaihd.net/x.jpg", width: null }],
        product: "premium",
        type: "user",
        uri: "spotify:user:wizzler",
      });
    },
    expect: {
      uid: "wizzler",
      addresses: [{ email: "email@example.com", verified: false, primary: true }],
      display: "email@example.com",
    },
  },
  {
    id: "reddit",
    clientId: "rd-client",
    secret: "rd-secret",
    auth: "basic",
    config: (b) => ({ endpoints: { token: `${b}/reddit/token`, userinfo: `${b}/reddit/me` } }),
    authorize: () => "https://www.reddit.com/api/v1/authorize",
    scope: "identity",
    pkce: false,
    nonce: false,
    serve(_b, c) {
      fake.tokenEndpoint(
        "/reddit/token",
        { auth: "basic", clientId: c.clientId, secret: c.secret },
        plainTokens("rd-token", { scope: "identity" }),
      );
      fake.route("/reddit/me", (request) =>
        request.headers["user-agent"] === "Latchkey" && request.headers.authorization === bearer("rd-token")
          ? {
              json: {
                name: "spez",
                id: "1w72",
                icon_img: "https://styles.redditmedia.com/x.png",
                total_karma: 1,
              },
            }
          : { status: 429, json: { message: "Too Many Requests" } },
      );
    },
    expect: { uid: "spez", addresses: [], username: "spez", display: "spez" },
  },
  {
    id: "bitbucket_oauth2",
    clientId: "bb-client",
    secret: "bb-secret",
    auth: "post",
    config: (b) => ({
      endpoints: { token: `${b}/bb/token`, userinfo: `${b}/bb/user`, emails: `${b}/bb/user/emails` },
    }),
    authorize: () => "https://bitbucket.org/site/oauth2/authorize",
    scope: null,
    pkce: false,
    nonce: false,
    serve(_b, c) {
      fake.tokenEndpoint(
        "/bb/token",
        { auth: "post", clientId: c.clientId, secret: c.secret },
        plainTokens("bb-token", { scopes: "account email", refresh_token: "bb-refresh" }),
      );
      api("/bb/user", "bb-token", {
        username: "evzijst",
        display_name: "Erik van Zijst",
        account_id: "557058:c0b72ad0-1cb5-4018-9cdc-0cde8492c443",
        uuid: "{d301aafa-d676-4ee0-88be-962be7417567}",
        links: { avatar: { href: "https://bitbucket.org/account/evzijst/avatar/" } },
        type: "user",
        nickname: "evzijst",
      });
      api("/bb/user/emails", "bb-token", {
        pagelen: 10,
        values: [
          { is_primary: false, is_confirmed: true, type: "email", email: "old@example.com" },
          { is_primary: true, is_confirmed: true, type: "email", email: "erik@example.com" },
        ],
        page: 1,
        size: 2,
      });
    },
    expect: {
      uid: "evzijst",
      addresses: [{ email: "erik@example.com", verified: false, primary: true }],
      username: "evzijst",
      display: "evzijst",
    },
  },
  {
    id: "amazon",
    clientId: "amzn1.application-oa2-client.x",
    secret: "amzn-secret",
    auth: "post",
    config: (b) => ({ endpoints: { token: `${b}/amazon/token`, userinfo: `${b}/amazon/profile` } }),
    authorize: () => "https://www.amazon.com/ap/oa",
    scope: "profile",
    pkce: true,
    nonce: false,
    serve(_b, c) {
      fake.tokenEndpoint(
        "/amazon/token",
        { auth: "post", clientId: c.clientId, secret: c.secret },
        plainTokens("Atza|amzn", { refresh_token: "Atzr|amzn" }),
      );
      api("/amazon/profile", "Atza|amzn", {
        user_id: "amzn1.account.K2LI23KL2LK2",
        email: "mhashimoto-04@plaxo.com",
        name: "Mork Hashimoto",
        postal_code: "98052",
      });
    },
    expect: {
      uid: "amzn1.account.K2LI23KL2LK2",
      addresses: [{ email: "mhashimoto-04@plaxo.com", verified: false, primary: true }],
      display: "mhashimoto-04@plaxo.com",
    },
  },
  {
    id: "dropbox",
    clientId: "db-client",
    secret: "db-secret",
    auth: "post",
    config: (b) => ({
      endpoints: { token: `${b}/dropbox/token`, userinfo: `${b}/dropbox/get_current_account` },
    }),
    authorize: () => "https://www.dropbox.com/oauth2/authorize",
    scope: null,
    pkce: true,
    nonce: false,
    serve(_b, c) {
      fake.tokenEndpoint(
        "/dropbox/token",
        { auth: "post", clientId: c.clientId, secret: c.secret },
        plainTokens("sl.dropbox", { scope: "account_info.read", uid: "12345", account_id: "dbid:AAH4f99" }),
      );
      fake.route("/dropbox/get_current_account", (request) =>
        request.method === "POST" && request.headers.authorization === bearer("sl.dropbox")
          ? {
              json: {
                account_id: "dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc",
                name: {
                  given_name: "Franz",
                  surname: "Ferdinand",
                  familiar_name: "Franz",
                  display_name: "Franz Ferdinand (Personal)",
                  abbreviated_name: "FF",
                },
                email: "franz@dropbox.com",
                email_verified: true,
                disabled: false,
                locale: "en",
                is_paired: false,
                account_type: { ".tag": "basic" },
                profile_photo_url:
                  "https://dl-web.dropbox.com/account_photo/get/dbaphid%3AAAHWGmIXV3sUuOmBfTz0wPsiqHUpBWvv3ZA",
                country: "US",
              },
            }
          : { status: 400, json: { error_summary: "bad request" } },
      );
    },
    expect: {
      uid: "dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc",
      addresses: [{ email: "franz@dropbox.com", verified: false, primary: true }],
      display: "franz@dropbox.com",
    },
  },
  {
    id: "zoom",
    clientId: "zoom-client",
    secret: "zoom-secret",
    auth: "basic",
    config: (b) => ({ endpoints: { token: `${b}/zoom/token`, userinfo: `${b}/zoom/me` } }),
    authorize: () => "https://zoom.us/oauth/authorize",
    scope: null,
    pkce: true,
    nonce: false,
    serve(_b, c) {
      fake.tokenEndpoint(
        "/zoom/token",
        { auth: "basic", clientId: c.clientId, secret: c.secret },
        plainTokens("zoom-token", { refresh_token: "zoom-refresh", scope: "user:read" }),
      );
      api("/zoom/me", "zoom-token", {
        id: "KDcuGIm1QgePTO8WbOqwIQ",
        first_name: "Jill",
        last_name: "Chill",
        display_name: "Jill Chill",
        email: "jchill@example.com",
        type: 1,
        pmi: 3542471135,
        timezone: "Asia/Shanghai",
        verified: 1,
        dept: "",
        pic_url: "https://example.com/photo.jpg",
        status: "active",
      });
    },
    expect: {
      uid: "KDcuGIm1QgePTO8WbOqwIQ",
      addresses: [{ email: "jchill@example.com", verified: true, primary: true }],
      display: "jchill@example.com",
    },
  },
  {
    id: "atlassian",
    clientId: "at-client",
    secret: "at-secret",
    auth: "post",
    config: (b) => ({ endpoints: { token: `${b}/atlassian/token`, userinfo: `${b}/atlassian/me` } }),
    authorize: () => "https://auth.atlassian.com/authorize",
    scope: "read:me",
    pkce: false,
    nonce: false,
    params: { audience: "api.atlassian.com", prompt: "consent" },
    serve(_b, c) {
      fake.tokenEndpoint(
        "/atlassian/token",
        { auth: "post", clientId: c.clientId, secret: c.secret },
        plainTokens("at-token", { token_type: "Bearer", scope: "read:me" }),
      );
      api("/atlassian/me", "at-token", {
        account_type: "atlassian",
        account_id: "112233aa-bb11-cc22-33dd-444444abcd",
        email: "mia@example.com",
        email_verified: true,
        name: "Mia Krystof",
        picture: "https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/x.png",
        account_status: "active",
        nickname: "mkrystof",
        zoneinfo: "Australia/Sydney",
        locale: "en-US",
      });
    },
    expect: {
      uid: "112233aa-bb11-cc22-33dd-444444abcd",
      addresses: [{ email: "mia@example.com", verified: true, primary: true }],
      username: "mkrystof",
      display: "mia@example.com",
    },
  },
  {
    id: "keycloak",
    clientId: "kc-client",
    secret: "kc-secret",
    auth: "post",
    config: (b) => ({ baseUrl: `${b}/kc`, realm: "demo", endpoints: { jwks: `${b}/jwks` } }),
    authorize: (b) => `${b}/kc/realms/demo/protocol/openid-connect/auth`,
    scope: "openid profile email",
    pkce: true,
    nonce: true,
    serve(b, c) {
      const claims = {
        sub: "f:3a2b1c:alice",
        email_verified: true,
        name: "Alice Liddell",
        preferred_username: "alice",
        given_name: "Alice",
        family_name: "Liddell",
        email: "alice@example.org",
      };
      fake.tokenEndpoint(
        "/kc/realms/demo/protocol/openid-connect/token",
        { auth: "post", clientId: c.clientId, secret: c.secret },
        async (e) => ({
          access_token: "kc-token",
          expires_in: 300,
          refresh_expires_in: 1800,
          refresh_token: "kc-refresh",
          token_type: "Bearer",
          id_token: await idToken({
            iss: `${b}/kc/realms/demo`,
            aud: c.clientId,
            azp: c.clientId,
            nonce: e.nonce,
            ...claims,
          }),
          "not-before-policy": 0,
          session_state: "5b6d0e3b",
          scope: "openid profile email",
        }),
      );
      api("/kc/realms/demo/protocol/openid-connect/userinfo", "kc-token", claims);
    },
    expect: {
      uid: "f:3a2b1c:alice",
      addresses: [{ email: "alice@example.org", verified: true, primary: true }],
      username: "alice",
      display: "alice@example.org",
    },
  },
  {
    id: "auth0",
    clientId: "a0-client",
    secret: "a0-secret",
    auth: "post",
    config: (b) => ({ baseUrl: `${b}/auth0` }),
    authorize: (b) => `${b}/auth0/authorize`,
    scope: "openid profile email",
    pkce: true,
    nonce: true,
    serve(b, c) {
      const claims = {
        sub: "auth0|5f7c8ec7c33c6c004bbafe82",
        name: "Jane Josephine Doe",
        nickname: "JJ",
        picture: "http://exampleco.com/janedoe/me.jpg",
        email: "janedoe@exampleco.com",
        email_verified: true,
      };
      fake.tokenEndpoint(
        "/auth0/oauth/token",
        { auth: "post", clientId: c.clientId, secret: c.secret },
        async (e) => ({
          access_token: "a0-token",
          id_token: await idToken({ iss: `${b}/auth0/`, aud: c.clientId, nonce: e.nonce, ...claims }),
          scope: "openid profile email",
          expires_in: 86400,
          token_type: "Bearer",
        }),
      );
      api("/auth0/userinfo", "a0-token", claims);
    },
    expect: {
      uid: "auth0|5f7c8ec7c33c6c004bbafe82",
      addresses: [{ email: "janedoe@exampleco.com", verified: false, primary: true }],
      display: "janedoe@exampleco.com",
    },
  },
  {
    id: "okta",
    clientId: "okta-client",
    secret: "okta-secret",
    auth: "post",
    config: (b) => ({ baseUrl: `${b}/okta` }),
    authorize: (b) => `${b}/okta/oauth2/v1/authorize`,
    scope: "openid profile email offline_access",
    pkce: true,
    nonce: true,
    serve(b, c) {
      const claims = {
        sub: "00uid4BxXw6I6TV4m0g3",
        name: "John Doe",
        nickname: "Jimmy",
        given_name: "John",
        middle_name: "James",
        family_name: "Doe",
        zoneinfo: "America/Los_Angeles",
        locale: "en-US",
        email: "john.doe@example.com",
        email_verified: true,
        preferred_username: "john.doe@example.com",
      };
      fake.tokenEndpoint(
        "/okta/oauth2/v1/token",
        { auth: "post", clientId: c.clientId, secret: c.secret },
        async (e) => ({
          access_token: "okta-token",
          token_type: "Bearer",
          expires_in: 3600,
          scope: "openid profile email offline_access",
          refresh_token: "okta-refresh",
          id_token: await idToken({ iss: `${b}/okta`, aud: c.clientId, nonce: e.nonce, ...claims }),
        }),
      );
      api("/okta/oauth2/v1/userinfo", "okta-token", claims);
    },
    expect: {
      uid: "00uid4BxXw6I6TV4m0g3",
      addresses: [{ email: "john.doe@example.com", verified: true, primary: true }],
      username: "john.doe",
      display: "john.doe@example.com",
    },
  },
  {
    id: "amazon_cognito",
    clientId: "cognito-client",
    secret: "cognito-secret",
    auth: "post",
    config: (b) => ({
      baseUrl: `${b}/cognito`,
      endpoints: { issuer: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example" },
    }),
    authorize: (b) => `${b}/cognito/oauth2/authorize`,
    scope: "openid profile email",
    pkce: true,
    nonce: true,
    serve(_b, c) {
      const claims = {
        sub: "248289761001",
        email_verified: "true",
        given_name: "Jane",
        family_name: "Doe",
        email: "janedoe@example.com",
        username: "janedoe",
      };
      fake.tokenEndpoint(
        "/cognito/oauth2/token",
        { auth: "post", clientId: c.clientId, secret: c.secret },
        async (e) => ({
          access_token: "cognito-token",
          refresh_token: "cognito-refresh",
          token_type: "Bearer",
          expires_in: 3600,
          id_token: await idToken({
            iss: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example",
            aud: c.clientId,
            token_use: "id",
            nonce: e.nonce,
            sub: claims.sub,
          }),
        }),
      );
      api("/cognito/oauth2/userInfo", "cognito-token", claims);
    },
    expect: {
      uid: "248289761001",
      addresses: [{ email: "janedoe@example.com", verified: true, primary: true }],
      display: "janedoe",
    },
  },
];

function providersOption(base: string): LatchkeyOptions["socialaccount"] {
  const providers: Record<string, Record<string, unknown>> = {};
  for (const c of CASES) {
    providers[c.id] = { apps: [{ clientId: c.clientId, secret: c.secret }], ...c.config(base) };
  }
  return { providers, queryEmail: true } as LatchkeyOptions["socialaccount"];
}

/** The redirect flow with a preset, up to the frontend's callback URL. */
async function redirectFlow(server: TestServer, c: TestClient, preset: PresetCase): Promise<string | null> {
  const started = await postRedirect(c, { provider: preset.id });
  expect(started.status, started.text).toBe(302);
  const url = new URL(started.location!);
  expect(url.origin + url.pathname).toBe(preset.authorize(fake.base));
  const q = url.searchParams;
  const redirectUri = `http://localhost:8000/accounts/${preset.id}/login/callback/`;
  expect(q.get("client_id")).toBe(preset.clientId);
  expect(q.get("redirect_uri")).toBe(redirectUri);
  expect(q.get("response_type")).toBe("code");
  expect(q.get("scope")).toBe(preset.scope);
  expect(q.get("code_challenge_method")).toBe(preset.pkce ? "S256" : null);
  expect(q.has("nonce")).toBe(preset.nonce);
  for (const [k, v] of Object.entries(preset.params ?? {})) expect(q.get(k), k).toBe(v);
  if (preset.scope?.includes(" "))
    expect(started.location).toContain(`scope=${preset.scope.replaceAll(" ", "%20")}`);
  const state = q.get("state")!;
  const expected: Expected = { redirectUri, codeChallenge: q.get("code_challenge"), nonce: q.get("nonce") };
  const code = fake.issueCode(expected);
  const callback = new URL(redirectUri).pathname;
  if (preset.formPost) {
    // The provider posts cross-site: no cookie comes along; the state finds the flow.
    const posted = await browse(server.client(Client.BROWSER), "POST", callback, {
      code,
      state,
      ...preset.formPost,
    });
    expect(posted.status).toBe(302);
    expect(posted.location).toBe(`${callback}?code=${code}&state=${state}`);
    return (await browse(c, "GET", posted.location!)).location;
  }
  return (await browse(c, "GET", `${callback}?${new URLSearchParams({ code, state })}`)).location;
}

describe.each(dialects)("provider presets (%s)", (dialect) => {
  const server = useLatchkey(dialect, () => ({ socialaccount: providersOption(fake.base) }));

  it("lists every preset in the browser's /config, sorted by name", async () => {
    const res = await (await anonymousClient(server, Client.BROWSER)).get("/config");
    const names: string[] = res.body.data.socialaccount.providers.map((p: { name: string }) => p.name);
    expect(names).toHaveLength(CASES.length);
    expect(names).toEqual([...names].sort());
    const app = await (await anonymousClient(server, Client.APP)).get("/config");
    expect(app.body.data.socialaccount.providers.map((p: { id: string }) => p.id)).toEqual([
      "apple",
      "facebook",
      "google",
      "keycloak",
    ]);
  });

  it.each(CASES.map((c) => [c.id, c] as const))(
    "%s: the redirect flow and its profile mapping",
    async (_id, preset) => {
      preset.serve(fake.base, preset);
      const c = await anonymousClient(server, Client.BROWSER);
      expect(await redirectFlow(server, c, preset)).toBe(CALLBACK);
      const session = await c.get("/auth/session");
      expectStatus(session, 200);
      expect(session.body.data.methods).toEqual([
        { method: "socialaccount", at: expect.any(Number), provider: preset.id, uid: preset.expect.uid },
      ]);
      const user = session.body.data.user;
      expect(await addressesOf(server, user.id)).toEqual(preset.expect.addresses);
      if (preset.expect.username) expect(user.username).toBe(preset.expect.username);
      const providers = await c.get("/account/providers");
      expectEnvelope(providers);
      expect(providers.body.data).toEqual([
        {
          uid: preset.expect.uid,
          provider: expect.objectContaining({ id: preset.id, client_id: preset.clientId }),
          display: preset.expect.display,
        },
      ]);
      preset.check?.(preset);
    },
  );

  it("answers a provider error (a refused code exchange) with error=unknown", async () => {
    const preset = CASES.find((c) => c.id === "gitlab")!;
    preset.serve(fake.base, preset);
    const c = await anonymousClient(server, Client.BROWSER);
    const started = await postRedirect(c, { provider: "gitlab" });
    const state = new URL(started.location!).searchParams.get("state")!;
    const landed = await browse(c, "GET", `/accounts/gitlab/login/callback/?code=not-issued&state=${state}`);
    expect(landed.location).toBe(errorAt(CALLBACK, "unknown"));
    // The code delivered to another provider's callback does not count (mix-up defence).
    const again = await postRedirect(c, { provider: "gitlab" });
    const q = new URL(again.location!).searchParams;
    const code = fake.issueCode({
      redirectUri: q.get("redirect_uri")!,
      codeChallenge: q.get("code_challenge"),
      nonce: null,
    });
    const elsewhere = await browse(
      c,
      "GET",
      `/accounts/github/login/callback/?code=${code}&state=${q.get("state")}`,
    );
    expect(elsewhere.location).toBe(errorAt(CALLBACK, "unknown"));
  });

  describe.each(clients)("%s client, token flow", (kind) => {
    const post = (c: TestClient, provider: string, token: Record<string, string>) =>
      c.post("/auth/provider/token", { provider, process: "login", token });

    it("google and apple: an id_token signed by the provider's key, for the app", async () => {
      for (const [provider, clientId, iss] of [
        ["google", "google-client.apps.googleusercontent.com", "https://accounts.google.com"],
        ["apple", "com.example.web", "https://appleid.apple.com"],
      ] as const) {
        const sub = `${provider}-${Math.random().toString(36).slice(2)}`;
        const good = await idToken({
          iss,
          aud: clientId,
          sub,
          email: `${sub}@example.org`,
          email_verified: true,
        });
        const c = await anonymousClient(server, kind);
        const res = await post(c, provider, { client_id: clientId, id_token: good });
        expectStatus(res, 200);
        expect(res.body.data.methods[0]).toMatchObject({ provider, uid: sub });
        expect(await addressesOf(server, res.body.data.user.id)).toEqual([
          { email: `${sub}@example.org`, verified: true, primary: true },
        ]);
        for (const bad of [
          await idToken({ iss, aud: "another-client", sub }),
          await idToken({ iss: "https://evil.example", aud: clientId, sub }),
          await idToken({ iss, aud: clientId, sub, exp: epoch() - 60 }),
        ]) {
          const refused = await post(await anonymousClient(server, kind), provider, {
            client_id: clientId,
            id_token: bad,
          });
          expectStatus(refused, 400);
          expect(refused.body.errors).toEqual([
            { code: "invalid_token", param: "token", message: "Invalid token." },
          ]);
        }
      }
    });

    it("a token's client_id selects the app, a hidden one too; its audience must be that app", async () => {
      const ios = "google-ios.apps.googleusercontent.com";
      const token = await idToken({
        iss: "https://accounts.google.com",
        aud: ios,
        sub: `ios-${kind}-${dialect}`,
      });
      const asWeb = await post(await anonymousClient(server, kind), "google", {
        client_id: "google-client.apps.googleusercontent.com",
        id_token: token,
      });
      expectStatus(asWeb, 400);
      expectStatus(
        await post(await anonymousClient(server, kind), "google", { client_id: ios, id_token: token }),
        200,
      );
    });

    it("accepts an id_token once when it carries an id (jti)", async () => {
      const clientId = "google-client.apps.googleusercontent.com";
      const token = await idToken({
        iss: "https://accounts.google.com",
        aud: clientId,
        sub: "jti-user",
        jti: `jti-${kind}-${dialect}`,
      });
      expectStatus(
        await post(await anonymousClient(server, kind), "google", { client_id: clientId, id_token: token }),
        200,
      );
      expectStatus(
        await post(await anonymousClient(server, kind), "google", { client_id: clientId, id_token: token }),
        400,
      );
    });

    it("facebook: an access token debug_token vouches for, or a Limited Login id_token", async () => {
      CASES.find((c) => c.id === "facebook")!.serve(fake.base, CASES.find((c) => c.id === "facebook")!);
      const c = await anonymousClient(server, kind);
      const res = await post(c, "facebook", { client_id: "fb-app", access_token: "EAAGm0PX4ZCps" });
      expectStatus(res, 200);
      expect(res.body.data.methods[0]).toMatchObject({ provider: "facebook", uid: "10158000000000001" });
      const invalid = await post(await anonymousClient(server, kind), "facebook", {
        client_id: "fb-app",
        access_token: "stolen",
      });
      expectStatus(invalid, 400);
      const limited = await idToken({
        iss: "https://www.facebook.com",
        aud: "fb-app",
        sub: "10158000000000002",
        name: "Limited",
      });
      const viaId = await post(await anonymousClient(server, kind), "facebook", {
        client_id: "fb-app",
        id_token: limited,
      });
      expectStatus(viaId, 200);
      expect(viaId.body.data.methods[0]).toMatchObject({ uid: "10158000000000002" });
    });

    it("refuses tokens for presets without token support", async () => {
      const res = await post(await anonymousClient(server, kind), "github", {
        client_id: "gh-client",
        access_token: "x",
      });
      expectStatus(res, 400);
      expect(res.body.errors).toEqual([
        {
          code: "token_authentication_not_supported",
          param: "provider",
          message: "Provider does not support token authentication.",
        },
      ]);
    });
  });
});
