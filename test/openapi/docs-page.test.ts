import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toNodeListener } from "../../src/adapters/node.js";
import { launchChromium, skipTestsWithoutChromium } from "../helpers/chromium.js";
import { useLatchkey } from "../helpers/latchkey.js";
import { type Json, operations } from "./documents.js";

/**
 * The docs page in Debian's Chromium, with every request to another origin refused: it renders
 * every operation of the served document, and "try it" sends requests to the same server, with
 * the CSRF header for the browser client and the X-Session-Token it keeps for the app client.
 */

const skip = skipTestsWithoutChromium("the docs page browser test");

describe.skipIf(skip)("the docs page in Chromium", () => {
  const server = useLatchkey("sqlite", { socialaccount: { providers: { dummy: {} } } });
  let http: Server;
  let origin: string;
  let browser: Browser;

  beforeAll(async () => {
    http = createServer(toNodeListener(server.latchkey));
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
  });

  /** The page in a fresh profile; `elsewhere` collects requests to other origins (all refused), `problems` console errors. */
  async function openDocs() {
    const context = await browser.newContext();
    const elsewhere: string[] = [];
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (new URL(url).origin === origin) return route.continue();
      elsewhere.push(url);
      return route.abort("blockedbyclient");
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(message.text());
    });
    page.on("pageerror", (error) => problems.push(error.message));
    await page.goto(`${origin}/_allauth/docs`);
    await page.locator("details.operation").first().waitFor();
    return { context, page, elsewhere, problems };
  }

  /** Opens an operation, sets its form, sends it and waits for the answer; the answer's text. */
  async function tryIt(
    page: Page,
    operationId: string,
    form: { client?: string; body?: string; fields?: Record<string, string> } = {},
  ): Promise<string> {
    const operation = page.locator(`details#${operationId}`);
    await operation.locator("> summary").click();
    if (form.client) await operation.locator("form.try select").first().selectOption(form.client);
    if (form.body !== undefined) await operation.locator("form.try textarea").fill(form.body);
    for (const [id, value] of Object.entries(form.fields ?? {})) await page.locator(`#${id}`).fill(value);
    const answer = operation.locator("pre.answer");
    await operation.locator("form.try button").click();
    await expect.poll(() => answer.textContent()).toMatch(/\n\d{3} /);
    const text = (await answer.textContent())!;
    await operation.locator("> summary").click();
    return text;
  }

  it("renders every operation of the document, by tag, loading nothing from elsewhere", async () => {
    const { context, page, elsewhere, problems } = await openDocs();
    const document: Json = await (await fetch(`${origin}/_allauth/openapi.json`)).json();
    expect(await page.locator("details.operation").count()).toBe(operations(document).length);
    const tagsUsed = new Set(operations(document).map(([, , operation]) => operation.tags[0]));
    expect(await page.locator("section.tag > h2").allTextContents()).toEqual(
      document.tags.map((t: Json) => t.name).filter((name: string) => tagsUsed.has(name)),
    );
    expect(await page.title()).toBe(`${document.info.title} ${document.info.version}`);
    const login = page.locator("details#postAuthLogin");
    await login.locator("> summary").click();
    // Its body's fields and its answers are listed.
    await expect.poll(() => login.locator(".schema-block code.name").allTextContents()).toContain("password");
    expect(await login.locator("details.response > summary > strong").allTextContents()).toContain("400");
    expect(elsewhere).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });

  it("try it: GET /config and a login with bad input show the server's answers (the CSRF header sent)", async () => {
    const { context, page, elsewhere, problems } = await openDocs();
    const config = await tryIt(page, "getConfig");
    expect(config).toContain("GET /_allauth/browser/v1/config\n200 OK");
    expect(config).toContain('"login_methods"');

    await context.clearCookies();
    const login = await tryIt(page, "postAuthLogin", { body: '{"password": ""}' });
    // Not 403 csrf_failed: the page fetched a CSRF cookie and sent its value in the header.
    expect(login).toContain("POST /_allauth/browser/v1/auth/login\n400 Bad Request");
    expect(login).toContain('"code": "required"');
    expect((await context.cookies()).map((c) => c.name)).toContain("csrftoken");
    expect(elsewhere).toEqual([]);
    expect(problems.filter((p) => !p.includes("status of 400"))).toEqual([]);
    await context.close();
  });

  it("try it, app client: the session token of a signup is kept and sent as X-Session-Token", async () => {
    const { context, page } = await openDocs();
    const stale = await tryIt(page, "getAuthSession", {
      client: "app",
      fields: { "session-token": "not-a-token" },
    });
    expect(stale).toContain("GET /_allauth/app/v1/auth/session\n410 Gone");

    // A token that names no session is dropped.
    expect(await page.locator("#session-token").inputValue()).toBe("");
    const username = `docs${Date.now()}`;
    const password = "Correct-Horse-Battery-9";
    const body = JSON.stringify({ username, password, password2: password });
    const signup = await tryIt(page, "postAuthSignup", { client: "app", body });
    expect(signup).toContain("200 OK");
    const token = await page.locator("#session-token").inputValue();
    expect(signup).toContain(`"session_token": "${token}"`);

    const session = await tryIt(page, "getAuthSession", { client: "app" });
    expect(session).toContain("GET /_allauth/app/v1/auth/session\n200 OK");
    expect(session).toContain(`"username": "${username}"`);
    await context.close();
  });
});
