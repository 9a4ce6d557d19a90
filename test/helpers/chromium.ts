import { existsSync } from "node:fs";
import { type Browser, type CDPSession, chromium, type Page } from "playwright-core";

/** Debian's Chromium: the browser tests drive it through playwright-core, never a downloaded one. */
const CHROMIUM = "/usr/bin/chromium";

/**
 * Whether the tests named by `what` are to be skipped: Chromium is missing and this is not CI (in
 * CI a missing Chromium must fail the run, not skip it). Says so on the console when they are.
 */
export function skipTestsWithoutChromium(what: string): boolean {
  const skip = !existsSync(CHROMIUM) && !process.env.CI;
  if (skip) console.warn(`${CHROMIUM} is missing: skipping ${what} (apt-get install chromium)`);
  return skip;
}

/** A headless Chromium with no GPU, sandbox or background requests. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

/**
 * A CDP virtual authenticator in the page's browser, as a platform authenticator with resident
 * keys and user verification: it answers passkey and security-key prompts. The session and the
 * authenticator's id let a test read its credentials and remove it.
 */
export async function addVirtualAuthenticator(
  page: Page,
): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
    },
  });
  return { cdp, authenticatorId };
}
