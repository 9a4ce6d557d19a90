import type { Page } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { type Idp, startIdp } from "../social/idp.js";
import {
  freePort,
  newUser,
  screenshot,
  signUp,
  skipWithoutChromium,
  useChromium,
  useDemo,
  waitForHome,
} from "./demo.js";

/**
 * The demo's provider logins in Chromium: the development provider (its login page lets anyone
 * be anyone), and a generic OpenID Connect provider, a real one (oidc-provider) on loopback,
 * given to the demo by its DEMO_OIDC_* variables.
 */

const CLIENT_ID = "latchkey-demo";
const CLIENT_SECRET = "demo-secret";

/**
 * Fills the development provider's login page (who to be there) and submits it: an account id no
 * other test uses, and the fields given.
 */
async function logInAtDummy(page: Page, fields: { email?: string; username?: string }): Promise<void> {
  await page.getByRole("heading", { name: "Dummy Provider Login" }).waitFor();
  await page.getByLabel("Account ID").fill(String(Math.floor(Math.random() * 1e12)));
  if (fields.email) {
    await page.getByLabel("Email", { exact: true }).fill(fields.email);
    await page.getByLabel("Email verified").check();
  }
  if (fields.username) await page.getByLabel("Username").fill(fields.username);
  await page.getByRole("button", { name: "Login" }).click();
}

describe.skipIf(skipWithoutChromium)("the demo's provider logins", () => {
  let idp: Idp | undefined;
  const demo = useDemo(async () => {
    const port = await freePort();
    idp = await startIdp([
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        // The demo names its OpenID Connect app "oidc".
        redirect_uris: [`http://localhost:${port}/accounts/oidc/oidc/login/callback/`],
      },
    ]);
    return {
      port,
      env: {
        DEMO_OIDC_ISSUER: idp.issuer,
        DEMO_OIDC_CLIENT_ID: CLIENT_ID,
        DEMO_OIDC_CLIENT_SECRET: CLIENT_SECRET,
      },
    };
  });
  afterAll(async () => {
    await idp?.close();
  });
  const chromium = useChromium();

  it("logs in with the development provider, and lists the account among the connected ones", async () => {
    const page = await chromium.open();
    const user = newUser("dummy");
    await page.goto(`${demo.origin}/account/login`);
    await page.getByRole("button", { name: "Continue with Dummy" }).click();
    await logInAtDummy(page, user);
    await waitForHome(page, user.username);
    await page.getByRole("cell", { name: "provider: dummy" }).waitFor();

    await page.getByRole("link", { name: "Providers" }).click();
    await page.getByRole("row", { name: /Dummy/ }).getByText(user.username).waitFor();
    await screenshot(page, "providers");
  });

  it("completes a provider signup: the provider gave no address, the user gives one and verifies it", async () => {
    const page = await chromium.open();
    const user = newUser("providersignup");
    await page.goto(`${demo.origin}/account/signup`);
    await page.getByRole("button", { name: "Continue with Dummy" }).click();
    await logInAtDummy(page, { username: user.username });
    await page.waitForURL(/\/account\/provider\/signup$/);
    await page.getByText("You are signing up with Dummy.").waitFor();
    expect(await page.getByLabel("Username").inputValue()).toBe(user.username);
    await page.getByLabel("Email").fill(user.email);
    await page.getByRole("button", { name: "Sign up" }).click();
    await page.waitForURL(/\/account\/verify-email$/);
    const mail = await demo.nextMessage(user.email, /Confirm Your Email/);
    await page.goto(mail.links[0]!);
    await page.getByRole("button", { name: "Confirm" }).click();
    await waitForHome(page, user.username);
    await page.getByText("none (log in with a code, a passkey or a provider)").waitFor();
  });

  it("connects a provider account to a logged-in account", async () => {
    const page = await chromium.open();
    const user = await signUp(page, demo, "connect");
    await page.getByRole("link", { name: "Providers" }).click();
    await page.getByText("No provider account is connected.").waitFor();
    await page.getByRole("button", { name: "Connect Dummy" }).click();
    await logInAtDummy(page, { username: `${user.username}-at-dummy` });
    await page.waitForURL(/\/account\/providers$/);
    await page.getByRole("row", { name: /Dummy/ }).getByText(`${user.username}-at-dummy`).waitFor();
  });

  it("logs in with an OpenID Connect provider, signing up the account it vouches for", async () => {
    const page = await chromium.open();
    const user = newUser("oidc");
    idp!.loginAs({
      sub: `sub-${user.username}`,
      email: user.email,
      email_verified: true,
      preferred_username: user.username,
      name: "Ada Lovelace",
    });
    await page.goto(`${demo.origin}/account/login`);
    const button = page.getByRole("button", { name: "Continue with OpenID Connect" });
    await button.waitFor();
    await screenshot(page, "login");
    await button.click();
    await waitForHome(page, user.username);
    await page.getByRole("cell", { name: "provider: oidc" }).waitFor();
    await page.getByText(user.email, { exact: true }).waitFor();
  });
});
