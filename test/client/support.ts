import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, onTestFinished, vi } from "vitest";
import { toNodeListener } from "../../src/adapters/node.js";
import type { TestServer } from "../helpers/latchkey.js";

export const PASSWORD = "Correct-Horse-Battery-9";

/**
 * The test server on a real port of 127.0.0.1 for the tests of the describe block this is called
 * in (after its `useLatchkey`): the clients talk to it through `fetch`, as they do in the field.
 */
export function useHttp(server: TestServer): { readonly origin: string } {
  let http: Server | undefined;
  let origin = "";
  beforeAll(async () => {
    http = createServer(toNodeListener(server.latchkey));
    await new Promise<void>((resolve) => http!.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
  });
  return {
    get origin() {
      return origin;
    },
  };
}

let serial = 0;
/** A username and address no other test of this process uses. */
export function freshUser(prefix = "client"): { username: string; email: string } {
  serial += 1;
  const username = `${prefix}${serial}x${Math.random().toString(36).slice(2, 7)}`;
  return { username, email: `${username}@example.org` };
}

/** The key of the newest verification link mailed to an address. */
export function verificationKey(server: TestServer, email: string): string {
  const text = server.lastMail(email).text;
  const key = /verify-email\/([A-Za-z0-9_-]+)/.exec(text)?.[1];
  if (!key) throw new Error(`no verification link in ${text}`);
  return key;
}

/** A `fetch` that records the method and path of every request it sends. */
export function recordingFetch(): { fetch: typeof fetch; requests: string[] } {
  const requests: string[] = [];
  return {
    requests,
    fetch: (input, init) => {
      requests.push(`${init?.method ?? "GET"} ${new URL(String(input)).pathname}`);
      return fetch(input, init);
    },
  };
}

/** The code of the newest code mail to an address (on a line of its own, indented). */
export function mailedCode(server: TestServer, email: string): string {
  const text = server.lastMail(email).text;
  const code = /^ {4}(\S+)\s*$/m.exec(text)?.[1];
  if (!code) throw new Error(`no code in ${text}`);
  return code;
}

/** A code of the mailed codes' form that is not `code`. */
export function wrongCode(code: string): string {
  return code.startsWith("B") ? `C${code.slice(1)}` : `B${code.slice(1)}`;
}

/**
 * Plays the user at the development provider's login page over HTTP (`form` the account entered,
 * or "cancel"): the URL the page sends the user back to, the frontend's callback page.
 */
export async function atDummyLoginPage(url: string, form: Record<string, string> | "cancel"): Promise<URL> {
  const body = new URLSearchParams(form === "cancel" ? { action: "cancel" } : form);
  const response = await fetch(url, { method: "POST", body, redirect: "manual" });
  const location = response.headers.get("location");
  if (response.status !== 302 || !location) {
    throw new Error(`the login page answered ${response.status}: ${await response.text()}`);
  }
  return new URL(location);
}

/**
 * `navigator.locks` as browsers have it (Node has none), for the running test: one holder of a
 * name at a time, the others queued in order. Answers the names requested, in order.
 */
export function installWebLocks(): string[] {
  const requested: string[] = [];
  const tails = new Map<string, Promise<unknown>>();
  vi.stubGlobal("navigator", {
    locks: {
      request(name: string, work: () => Promise<unknown>) {
        requested.push(name);
        const run = (tails.get(name) ?? Promise.resolve()).then(work);
        tails.set(
          name,
          run.catch(() => undefined),
        );
        return run;
      },
    },
  });
  onTestFinished(() => {
    vi.unstubAllGlobals();
  });
  return requested;
}

/**
 * A `fetch` that records the method and path of every request, and holds the answers to the first
 * `count` requests for `path` until all of them are answered: the calls that sent them go on
 * together, as tabs whose access tokens expired at the same moment do.
 */
export function answeredTogether(count: number, path: string): { fetch: typeof fetch; requests: string[] } {
  const requests: string[] = [];
  const held: (() => void)[] = [];
  return {
    requests,
    fetch: async (input, init) => {
      const name = `${init?.method ?? "GET"} ${new URL(String(input)).pathname}`;
      requests.push(name);
      const response = await fetch(input, init);
      if (name === path && held.length < count) {
        await new Promise<void>((resolve) => {
          held.push(resolve);
          if (held.length === count) for (const release of held) release();
        });
      }
      return response;
    },
  };
}
