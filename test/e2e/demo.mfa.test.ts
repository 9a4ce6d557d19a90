import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import {
  addVirtualAuthenticator,
  type DemoServer,
  logIn,
  logOut,
  newUser,
  screenshot,
  signUp,
  skipWithoutChromium,
  totpCode,
  useChromium,
  useDemo,
  waitForHome,
} from "./demo.js";

/**
 * The demo's two-factor flows in Chromium: TOTP set up from its QR code, recovery codes, trusted
 * browsers, security keys and passkeys (a CDP virtual authenticator answers the prompts), and
 * the signup with a passkey.
 */

/**
 * Sets up the authenticator app from the TOTP page, as a phone would from the QR code: the
 * secret, once the page shows its QR image. A fresh signup has no login to be recent: the app
 * asks for the password first. Ends on the recovery codes page; returns the secret and the codes.
 */
async function setUpTotp(page: Page, password: string): Promise<{ secret: string; recoveryCodes: string[] }> {
  await page.getByRole("link", { name: "Two-factor" }).click();
  await page
    .getByRole("row", { name: /Authenticator app/ })
    .getByRole("link", { name: "Set up" })
    .click();
  const qr = page.getByRole("img", { name: "QR code of the authenticator secret" });
  await qr.waitFor();
  expect(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
  const secret = (await page.locator("[data-secret]").textContent())!;
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await screenshot(page, "totp");
  await page.getByLabel("Code from the app").fill(totpCode(secret));
  await page.getByRole("button", { name: "Activate" }).click();

  await page.getByRole("heading", { name: "Confirm it is you" }).waitFor();
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Confirm", exact: true }).click();
  await page.waitForURL(/\/account\/mfa\/recovery-codes$/);
  await page.getByText("The authenticator app is on. Keep these recovery codes.").waitFor();
  const codes = page.locator(".codes code");
  await expect.poll(() => codes.count()).toBeGreaterThan(0);
  return { secret, recoveryCodes: await codes.allTextContents() };
}

/** Logs in with the password and waits for the second factor's page. */
async function logInToSecondFactor(page: Page, demo: DemoServer, username: string, password: string) {
  await logIn(page, demo, username, password);
  await page.waitForURL(/\/account\/2fa$/);
  await page.getByRole("heading", { name: "Two-factor authentication" }).waitFor();
}

/** Enters an authenticator or recovery code on the second factor's page. */
async function enterSecondFactorCode(page: Page, code: string): Promise<void> {
  await page.getByLabel("Authenticator or recovery code").fill(code);
  await page.getByRole("button", { name: "Verify" }).click();
  await page.waitForURL(/\/account\/2fa\/trust$/);
}

describe.skipIf(skipWithoutChromium)("the demo's two-factor flows", () => {
  const demo = useDemo();
  const chromium = useChromium();

  it("sets up TOTP from its QR code, then logs in with the password and an authenticator code", async () => {
    const page = await chromium.open();
    const user = await signUp(page, demo, "totp");
    const { secret, recoveryCodes } = await setUpTotp(page, user.password);
    expect(recoveryCodes).toHaveLength(10);
    await screenshot(page, "recovery-codes");
    await page.getByRole("link", { name: "Two-factor" }).click();
    await page
      .getByRole("row", { name: /Authenticator app/ })
      .getByText(/^active since/)
      .waitFor();
    await screenshot(page, "two-factor");

    await logOut(page);
    await logInToSecondFactor(page, demo, user.username, user.password);
    await page.getByLabel("Authenticator or recovery code").fill("000000");
    await page.getByRole("button", { name: "Verify" }).click();
    await page.getByRole("alert").getByText("Incorrect code.").waitFor();
    // The code the activation took is spent: the next time step's is taken too.
    await enterSecondFactorCode(page, totpCode(secret, 1));
    await page.getByRole("button", { name: "Not now" }).click();
    await waitForHome(page, user.username);
    await page.getByRole("cell", { name: "two-factor: totp" }).waitFor();
  });

  it("logs in with a recovery code, then shows the codes left and makes new ones", async () => {
    const page = await chromium.open();
    const user = await signUp(page, demo, "recovery");
    const { recoveryCodes } = await setUpTotp(page, user.password);
    await logOut(page);

    await logInToSecondFactor(page, demo, user.username, user.password);
    await enterSecondFactorCode(page, recoveryCodes[0]!);
    await page.getByRole("button", { name: "Not now" }).click();
    await waitForHome(page, user.username);
    await page.getByRole("cell", { name: "two-factor: recovery_codes" }).waitFor();

    await page.getByRole("link", { name: "Two-factor" }).click();
    await page
      .getByRole("row", { name: /Recovery codes/ })
      .getByText("9 of 10 unused")
      .waitFor();
    await page.getByRole("link", { name: "View" }).click();
    const codes = page.locator(".codes code");
    await expect.poll(() => codes.allTextContents()).toEqual(recoveryCodes.slice(1));
    await page.getByRole("button", { name: "Generate new codes" }).click();
    await page.getByText("New recovery codes: the old ones no longer work.").waitFor();
    await expect.poll(() => codes.count()).toBe(10);
    const fresh = await codes.allTextContents();
    expect(fresh.filter((code) => recoveryCodes.includes(code))).toEqual([]);
  });

  it("trusts the browser after the second factor: its next login skips it, another browser's does not", async () => {
    const page = await chromium.open();
    const user = await signUp(page, demo, "trust");
    const { secret } = await setUpTotp(page, user.password);
    await logOut(page);

    await logInToSecondFactor(page, demo, user.username, user.password);
    await enterSecondFactorCode(page, totpCode(secret, 1));
    await screenshot(page, "trust");
    await page.getByRole("button", { name: "Trust this browser" }).click();
    await waitForHome(page, user.username);

    await logOut(page);
    await logIn(page, demo, user.username, user.password);
    await waitForHome(page, user.username);

    const other = await chromium.open();
    await logInToSecondFactor(other, demo, user.username, user.password);
  });

  it("adds a security key, and uses it as the second factor", async () => {
    const page = await chromium.open();
    await addVirtualAuthenticator(page);
    const user = await signUp(page, demo, "key");
    await page.getByRole("link", { name: "Two-factor" }).click();
    await page
      .getByRole("row", { name: /Security keys/ })
      .getByRole("link", { name: "Manage" })
      .click();
    await page.getByLabel("Name", { exact: true }).fill("Work key");
    await page.getByLabel("Passkey: log in with it alone").uncheck();
    await page.getByRole("button", { name: "Add" }).click();
    await page.getByRole("heading", { name: "Confirm it is you" }).waitFor();
    await page.getByLabel("Password", { exact: true }).fill(user.password);
    await page.getByRole("button", { name: "Confirm", exact: true }).click();
    await page.getByText("Work key was added, and recovery codes were made: see Two-factor.").waitFor();
    await page.getByRole("row", { name: /security key/ }).waitFor();
    await screenshot(page, "security-keys");

    await logOut(page);
    await logInToSecondFactor(page, demo, user.username, user.password);
    await page.getByRole("button", { name: "Use a security key" }).click();
    await page.waitForURL(/\/account\/2fa\/trust$/);
    await page.getByRole("button", { name: "Not now" }).click();
    await waitForHome(page, user.username);
    await page.getByRole("cell", { name: "two-factor: webauthn" }).waitFor();
  });

  it("adds a passkey, and logs in with it alone", async () => {
    const page = await chromium.open();
    await addVirtualAuthenticator(page);
    const user = await signUp(page, demo, "passkey");
    await page.goto(`${demo.origin}/account/mfa/webauthn`);
    await page.getByLabel("Name", { exact: true }).fill("Laptop");
    await page.getByRole("button", { name: "Add" }).click();
    await page.getByLabel("Password", { exact: true }).fill(user.password);
    await page.getByRole("button", { name: "Confirm", exact: true }).click();
    await page.getByRole("row", { name: /passkey/ }).waitFor();

    await logOut(page);
    await page.getByRole("button", { name: "Log in with a passkey" }).click();
    await waitForHome(page, user.username);
    await page.getByRole("cell", { name: "two-factor: webauthn" }).waitFor();
  });
});

describe.skipIf(skipWithoutChromium)("the demo's passkey signup (codes in mail)", () => {
  const demo = useDemo({ codes: true });
  const chromium = useChromium();

  it("signs up with a passkey: the address verified by a mailed code, then the passkey created", async () => {
    const page = await chromium.open();
    await addVirtualAuthenticator(page);
    const user = newUser("passkeysignup");
    await page.goto(`${demo.origin}/account/signup`);
    await page.getByRole("link", { name: "Sign up with a passkey" }).click();
    await page.getByLabel("Email").fill(user.email);
    await page.getByLabel("Username").fill(user.username);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.waitForURL(/\/account\/verify-email$/);
    const mail = await demo.nextMessage(user.email, /Confirm Your Email/);
    await page.getByLabel("Code").fill(mail.code!);
    await page.getByRole("button", { name: "Verify" }).click();
    await page.waitForURL(/\/account\/signup\/passkey\/create$/);
    await page.getByRole("button", { name: "Create passkey" }).click();
    await waitForHome(page, user.username);
    await page.getByText("none (log in with a code, a passkey or a provider)").waitFor();

    await logOut(page);
    await page.getByRole("button", { name: "Log in with a passkey" }).click();
    await waitForHome(page, user.username);
  });
});
