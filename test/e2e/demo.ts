import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Secret, TOTP } from "otpauth";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll } from "vitest";
import { launchChromium, skipTestsWithoutChromium } from "../helpers/chromium.js";

export { addVirtualAuthenticator } from "../helpers/chromium.js";

/**
 * What the end-to-end tests share: the demo server (examples/demo/server.ts, run as `npm run demo`
 * runs it, each on its own port and SQLite file), its mailbox, Chromium, and the steps many tests
 * take through the app's pages (sign up, log in, log out).
 */

const DEMO_DIR = fileURLToPath(new URL("../../examples/demo/", import.meta.url));
const SCREENSHOTS_DIR = fileURLToPath(new URL("../../docs/screenshots/", import.meta.url));

export const skipWithoutChromium = skipTestsWithoutChromium("the demo's end-to-end tests");

const PASSWORD = "Correct-Horse-Battery-9";

/** A message as the demo server's GET /dev/mailbox lists it. */
export interface MailboxEntry {
  id: number;
  kind: "mail" | "text";
  to: string;
  subject: string;
  body: string;
  links: string[];
  code: string | null;
}

export interface DemoServer {
  origin: string;
  /**
   * The newest message to `to` whose subject matches, among those not returned before: waits for
   * it to arrive.
   */
  nextMessage(to: string, subject: RegExp): Promise<MailboxEntry>;
  /** What the server printed (its log, and the mailbox's console lines). */
  output(): string;
  stop(): Promise<void>;
}

/** A port free on loopback now (the demo needs its origin before it starts, for mailed links). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

export interface DemoOptions {
  /** Codes in mail rather than links (`server.ts --codes`). */
  codes?: boolean;
  port?: number;
  /** More environment variables of the server (the OpenID Connect provider's). */
  env?: Record<string, string>;
}

/**
 * Starts the demo's server (`tsx server.ts`, with `--codes` for codes in mail) on a fresh SQLite
 * file, and waits for it to listen.
 */
async function startDemo(opts: DemoOptions = {}): Promise<DemoServer> {
  const port = opts.port ?? (await freePort());
  const origin = `http://localhost:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), "latchkey-demo-"));
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", "server.ts", ...(opts.codes ? ["--codes"] : [])],
    {
      cwd: DEMO_DIR,
      env: {
        ...process.env,
        PORT: String(port),
        DEMO_DATABASE: `sqlite:${join(dataDir, "demo.sqlite3")}`,
        ...opts.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the demo did not start in time:\n${output}`));
    }, 60_000);
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(`Latchkey demo (`) && output.includes(origin)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited (${code}):\n${output}`));
    });
  });

  const returned = new Set<number>();
  return {
    origin,
    output: () => output,
    async nextMessage(to, subject) {
      const deadline = Date.now() + 20_000;
      let messages: MailboxEntry[] = [];
      while (Date.now() < deadline) {
        const response = await fetch(`${origin}/dev/mailbox`);
        messages = (await response.json()) as MailboxEntry[];
        const found = messages
          .filter((m) => m.to === to && subject.test(m.subject) && !returned.has(m.id))
          .at(-1);
        if (found) {
          returned.add(found.id);
          return found;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const seen = messages.map((m) => `${m.to}: ${m.subject}`).join("\n");
      throw new Error(`no message to ${to} matching ${subject}; the mailbox has:\n${seen}`);
    },
    async stop() {
      child.kill("SIGTERM");
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The demo server for a describe block: started before its tests, stopped after them. */
export function useDemo(opts: DemoOptions | (() => Promise<DemoOptions>) = {}): DemoServer {
  const demo = {} as DemoServer;
  beforeAll(async () => {
    Object.assign(demo, await startDemo(typeof opts === "function" ? await opts() : opts));
  });
  afterEach((context) => {
    if (context.task.result?.state === "fail") {
      console.error(`the demo's output, last lines:\n${demo.output().split("\n").slice(-25).join("\n")}`);
    }
  });
  afterAll(async () => {
    await demo.stop?.();
  });
  return demo;
}

/**
 * Chromium for a describe block. `open()` gives a page in a fresh browser profile (no cookies),
 * the size of the screenshots; the profiles are closed after each test, and when a test fails,
 * what each of its pages showed is printed.
 */
export function useChromium(): { open(): Promise<Page> } {
  let browser: Browser | undefined;
  const pages: Page[] = [];
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterEach(async (context) => {
    if (context.task.result?.state === "fail") {
      for (const page of pages) {
        const text = await page
          .locator("body")
          .ariaSnapshot({ timeout: 1000 })
          .catch(() => "(unreadable)");
        console.error(`page at ${page.url()}:\n${text}`);
      }
    }
    await Promise.all(pages.splice(0).map((page) => page.context().close()));
  });
  afterAll(async () => {
    await browser?.close();
  });
  return {
    async open() {
      const context = await browser!.newContext({ viewport: { width: 1000, height: 700 } });
      // Waits fail after this long: long enough for a busy machine, short enough to say what hung.
      context.setDefaultTimeout(20_000);
      const page = await context.newPage();
      pages.push(page);
      return page;
    },
  };
}

/** Saves the page as docs/screenshots/NAME.png when LATCHKEY_SCREENSHOTS is set. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (!process.env.LATCHKEY_SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS_DIR, `${name}.png`) });
}

let serial = 0;

/** Credentials no other test uses. */
export function newUser(prefix: string): { username: string; email: string; password: string } {
  serial += 1;
  const username = `${prefix}${serial}${Math.random().toString(36).slice(2, 7)}`;
  return { username, email: `${username}@example.org`, password: PASSWORD };
}

/** A Dutch mobile number (+31 61…: a range every number of which is valid) no other test uses. */
export function newPhone(): string {
  return `+3161${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`;
}

/**
 * An authenticator app's code: for the current time step, or `stepsAhead` steps later (the demo
 * takes the next step's code too, and never the same step twice, so a second code in the same
 * half minute is the next step's).
 */
export function totpCode(secret: string, stepsAhead = 0): string {
  return TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: Date.now() + stepsAhead * 30_000 });
}

/** Fills the app's signup form (without submitting it). */
export async function fillSignup(
  page: Page,
  demo: DemoServer,
  user: { username: string; email: string; password: string },
): Promise<void> {
  await page.goto(`${demo.origin}/account/signup`);
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Username").fill(user.username);
  await page.getByLabel("Password", { exact: true }).fill(user.password);
}

/** Waits for the home page of a logged-in user. */
export async function waitForHome(page: Page, username: string): Promise<void> {
  await page.waitForURL((url) => url.pathname === "/");
  await page.getByRole("heading", { name: `Hello, ${username}` }).waitFor();
}

/**
 * Signs up through the app and verifies the address as the server asks: by opening the mailed
 * link, or by entering the mailed code. Ends logged in, on the home page.
 */
export async function signUp(page: Page, demo: DemoServer, prefix: string) {
  const user = newUser(prefix);
  await fillSignup(page, demo, user);
  await page.getByRole("button", { name: "Sign up", exact: true }).click();
  await page.waitForURL(/\/account\/verify-email$/);
  const mail = await demo.nextMessage(user.email, /Confirm Your Email/);
  if (mail.code) {
    await page.getByLabel("Code").fill(mail.code);
    await page.getByRole("button", { name: "Verify" }).click();
  } else {
    await page.goto(mail.links[0]!);
    await page.getByRole("button", { name: "Confirm" }).click();
  }
  await waitForHome(page, user.username);
  return user;
}

export async function logOut(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Log out" }).click();
  await page.waitForURL(/\/account\/login$/);
}

/** Submits the login form with a username (or address, or number) and password. */
export async function logIn(page: Page, demo: DemoServer, login: string, password: string): Promise<void> {
  if (new URL(page.url()).pathname !== "/account/login") await page.goto(`${demo.origin}/account/login`);
  await page.getByLabel("Email, username or phone").fill(login);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Log in", exact: true }).click();
}
