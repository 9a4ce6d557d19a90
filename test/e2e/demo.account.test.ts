import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import {
  fillSignup,
  logIn,
  logOut,
  newPhone,
  newUser,
  screenshot,
  signUp,
  skipWithoutChromium,
  useChromium,
  useDemo,
  waitForHome,
} from "./demo.js";

/**
 * The demo's account flows in Chromium, through its pages only: signup and verification, the
 * logins by password and by code, password reset and change, email addresses, phone numbers
 * and sessions. The mail and texts are read from the demo's mailbox.
 */

const NEW_PASSWORD = "Another-Horse-Battery-7";

/** Asks for a login code for an address or number, from the login page. */
async function requestLoginCode(page: Page, login: string): Promise<void> {
  await page.getByRole("link", { name: "Send me a login code" }).click();
  await page.getByLabel("Email or phone").fill(login);
  await page.getByRole("button", { name: "Send me a code" }).click();
  await page.waitForURL(/\/account\/login\/code\/confirm$/);
}

/** Starts a password reset from the login page. */
async function requestPasswordReset(page: Page, email: string): Promise<void> {
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Send reset instructions" }).click();
}

describe.skipIf(skipWithoutChromium)("the demo's account flows, links in mail", () => {
  const demo = useDemo();
  const chromium = useChromium();

  it("signs up and verifies the address by the mailed link, opened from the mailbox", async () => {
    const page = await chromium.open();
    const user = newUser("link");
    await fillSignup(page, demo, user);
    await screenshot(page, "signup");
    await page.getByRole("button", { name: "Sign up", exact: true }).click();
    await page.getByRole("heading", { name: "Verify your email address" }).waitFor();

    await page.getByRole("link", { name: "mailbox" }).first().click();
    const message = page.locator(`article[data-to="${user.email}"]`);
    await message.waitFor();
    await screenshot(page, "mailbox");
    await message.getByRole("link").first().click();
    await page.getByText(`Confirm that ${user.email} is your address.`).waitFor();
    await page.getByRole("button", { name: "Confirm" }).click();
    await waitForHome(page, user.username);
    await page.getByText("This session began with your signup.").waitFor();
  });

  it("logs in by password, and says so when the password is wrong", async () => {
    const page = await chromium.open();
    const user = await signUp(page, demo, "password");
    await logOut(page);

    await logIn(page, demo, user.username, "Not-The-Password-1");
    await page
      .getByRole("alert")
      .getByText("The username and/or password you specified are not correct.")
      .waitFor();
    await logIn(page, demo, user.email, user.password);
    await waitForHome(page, user.username);
    await page.getByRole("cell", { name: `password (${user.email})` }).waitFor();
    await screenshot(page, "home");
  });

  it("logs in by a mailed code", async () => {
    const page = await chromium.open();
    const user = await signUp(page, demo, "code");
    await logOut(page);

    await requestLoginCode(page, user.email);
    const mail = await demo.nextMessage(user.email, /Sign-In Code/);
    expect(mail.code).toMatch(/^[A-Z0-9-]{6,}$/);
    await page.getByLabel("Code").fill(mail.code!);
    await page.getByRole("button", { name: "Log in", exact: true }).click();
    await waitForHome(page, user.username);
    await page.getByRole("cell", { name: `code (${user.email})` }).waitFor();
  });

  it("resets a forgotten password by the mailed link", async () => {
    const page = await chromium.open();
    const user = await signUp(page, demo, "reset");
    await logOut(page);

    await requestPasswordReset(page, user.email);
    await page.getByText(`If ${user.email} has an account, we mailed it a link`).waitFor();
    const mail = await demo.nextMessage(user.email, /Password Reset/);
    await page.goto(mail.links[0]!);
    await page.getByText(`For ${user.username}.`).waitFor();
    await page.getByLabel("New password").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Set password" }).click();
    await page.getByText("Your password was reset: log in with the new one.").waitFor();

    await logIn(page, demo, user.username, user.password);
    await page.getByRole("alert").waitFor();
    await logIn(page, demo, user.username, NEW_PASSWORD);
    await waitForHome(page, user.username);
  });

  it("changes the password, and mails the user that it changed", async () => {
    const page = await chromium.open();
    const user = await signUp(page, demo, "change");
    await page.getByRole("link", { name: "Password" }).click();
    await page.getByRole("heading", { name: "Change your password" }).waitFor();
    await page.getByLabel("Current password").fill(user.password);
    await page.getByLabel("New password").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Change password" }).click();
    await page.getByText("Your password was changed.").waitFor();
    await demo.nextMessage(user.email, /Password Changed/);

    await logOut(page);
    await logIn(page, demo, user.username, NEW_PASSWORD);
    await waitForHome(page, user.username);
  });

  it("adds an address, verifies it by link, makes it primary and removes the old one", async () => {
    const page = await chromium.open();
    const user = await signUp(page, demo, "emails");
    const second = `${user.username}@work.example.net`;
    await page.getByRole("link", { name: "Email", exact: true }).click();
    await page.getByRole("heading", { name: "Email addresses" }).waitFor();
    await page.getByLabel("New address").fill(second);
    await page.getByRole("button", { name: "Add" }).click();
    await page.getByText(`We mailed a link to ${second}.`).waitFor();
    const row = (email: string) => page.getByRole("row").filter({ hasText: email });
    await row(second).getByText("unverified").waitFor();

    const mail = await demo.nextMessage(second, /Confirm Your Email/);
    await page.goto(mail.links[0]!);
    await page.getByRole("button", { name: "Confirm" }).click();
    await page.getByText(`${second} is verified.`).waitFor();
    await row(second).getByRole("button", { name: "Make primary" }).click();
    await row(second).getByText("primary", { exact: true }).waitFor();
    await row(user.email).getByRole("button", { name: "Remove" }).click();
    await row(user.email).waitFor({ state: "detached" });
    await screenshot(page, "email");
    expect(await page.getByRole("row").count()).toBe(1);
  });

  it("adds a phone number verified by a texted code, then logs in by a texted code", async () => {
    const page = await chromium.open();
    const user = await signUp(page, demo, "phone");
    const phone = newPhone();
    await page.getByRole("link", { name: "Phone" }).click();
    await page.getByText("No phone number yet.").waitFor();
    await page.getByLabel("New number (with country code)").fill(phone);
    await page.getByRole("button", { name: "Change number" }).click();
    const verification = await demo.nextMessage(phone, /verification/);
    expect(verification.kind).toBe("text");
    await page.getByLabel(`Code texted to ${phone}`).fill(verification.code!);
    await page.getByRole("button", { name: "Verify" }).click();
    await page.getByText(`${phone} is verified.`).waitFor();
    await page.locator("p", { hasText: phone }).getByText("verified", { exact: true }).waitFor();
    await screenshot(page, "phone");

    await logOut(page);
    await requestLoginCode(page, phone);
    const text = await demo.nextMessage(phone, /login/);
    await page.getByLabel("Code").fill(text.code!);
    await page.getByRole("button", { name: "Log in", exact: true }).click();
    await waitForHome(page, user.username);
  });

  it("lists the sessions, and ends another browser's", async () => {
    const page = await chromium.open();
    const user = await signUp(page, demo, "sessions");
    const other = await chromium.open();
    await logIn(other, demo, user.username, user.password);
    await waitForHome(other, user.username);

    await page.getByRole("link", { name: "Sessions" }).click();
    const rows = page.locator("tbody tr");
    await expect.poll(() => rows.count()).toBe(2);
    await rows.filter({ hasText: "this browser" }).waitFor();
    await screenshot(page, "sessions");
    await page.getByRole("button", { name: "End", exact: true }).click();
    await expect.poll(() => rows.count()).toBe(1);

    await other.reload();
    await other.getByRole("heading", { name: "Welcome" }).waitFor();
  });
});

describe.skipIf(skipWithoutChromium)("the demo's account flows, codes in mail", () => {
  const demo = useDemo({ codes: true });
  const chromium = useChromium();

  it("signs up and verifies the address by a mailed code", async () => {
    const page = await chromium.open();
    const user = newUser("signupcode");
    await fillSignup(page, demo, user);
    await page.getByRole("button", { name: "Sign up", exact: true }).click();
    await page.getByText("We mailed you a code").waitFor();
    const mail = await demo.nextMessage(user.email, /Confirm Your Email/);
    expect(mail.links).toEqual([]);
    await page.getByLabel("Code").fill(mail.code!);
    await screenshot(page, "verify-email-code");
    await page.getByRole("button", { name: "Verify" }).click();
    await waitForHome(page, user.username);
  });

  it("resets a forgotten password by a mailed code", async () => {
    const page = await chromium.open();
    const user = await signUp(page, demo, "resetcode");
    await logOut(page);

    await requestPasswordReset(page, user.email);
    await page.waitForURL(/\/account\/password\/reset\/code$/);
    const mail = await demo.nextMessage(user.email, /Password Reset/);
    await page.getByLabel("Code").fill(mail.code!);
    await page.getByLabel("New password").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Set password" }).click();
    await page.getByText("Your password was reset: log in with the new one.").waitFor();
    await logIn(page, demo, user.email, NEW_PASSWORD);
    await waitForHome(page, user.username);
  });
});
