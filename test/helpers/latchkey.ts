import { pino } from "pino";
import { afterAll, beforeAll, onTestFinished } from "vitest";
import { Client } from "../../src/core/enums.js";
import { createLatchkey, type Latchkey, type LatchkeyDependencies } from "../../src/latchkey.js";
import type { MailMessage } from "../../src/mail/index.js";
import type { LatchkeyOptions } from "../../src/options/schema.js";
import type { SmsMessage } from "../../src/sms/index.js";
import { TestClient } from "./client.js";
import { createTestDatabase, type Dialect } from "./stores.js";

/** Cheap argon2id parameters for tests that are not about hashing cost. */
export const FAST_HASHING = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

/** A mail as the server handed it over for delivery. */
export type SentMail = MailMessage;

export interface TestServer {
  readonly latchkey: Latchkey;
  readonly dialect: Dialect;
  /** A new frontend of the given kind. */
  client(kind: Client, remoteAddress?: string): TestClient;
  /** Every mail sent so far, oldest first. */
  mails(): SentMail[];
  /** The mails to an address, oldest first. */
  mailsTo(to: string): SentMail[];
  /** The newest mail to an address (throws when there is none). */
  lastMail(to: string): SentMail;
  /** Every text sent so far, oldest first (empty with `ownSms`). */
  texts(): SmsMessage[];
  textsTo(phone: string): SmsMessage[];
  /** The newest text to a number (throws when there is none). */
  lastText(phone: string): SmsMessage;
  /** Moves the server's clock forward. */
  advance(ms: number): void;
  /**
   * Stops the server's clock for the running test (only `advance` moves it), for tests that
   * compare whole seconds (token expiry): real time passing between two requests on a busy
   * machine must not cross a second boundary the test did not ask for.
   */
  freezeClock(): void;
}

/**
 * What the server takes besides its options; the clock, the mail and the texts are the
 * fixture's, unless `ownSms` sends the texts through the transport the options configure.
 */
export type TestDependencies = Omit<LatchkeyDependencies, "now" | "sendMail" | "sendSms"> & {
  ownSms?: boolean;
};

interface RunningServer extends TestServer {
  close(): Promise<void>;
}

/**
 * The one place a test server starts: a Latchkey on its own fresh database (or on `shared`'s),
 * rate limits off and fast hashing unless the options say otherwise, its mail kept in an
 * in-memory outbox whatever the mail options say.
 */
async function launch(
  dialect: Dialect,
  options: LatchkeyOptions,
  deps: TestDependencies,
  shared?: TestServer,
): Promise<RunningServer> {
  const database = shared
    ? { url: shared.latchkey.options.database.url, cleanup: async () => {} }
    : await createTestDatabase(dialect);
  const outbox: SentMail[] = [];
  const texts: SmsMessage[] = [];
  const { ownSms, ...hooks } = deps;
  let offset = 0;
  let frozenAt: number | null = null;
  const latchkey = createLatchkey(
    {
      rateLimits: false,
      ...options,
      password: { ...options.password, hashing: options.password?.hashing ?? FAST_HASHING },
      database: { ...options.database, url: database.url },
    },
    {
      ...hooks,
      now: () => (frozenAt ?? Date.now()) + offset,
      logger: deps.logger ?? pino({ level: process.env.LATCHKEY_TEST_LOG ?? "silent" }),
      sendMail: async (message) => {
        outbox.push(message);
      },
      ...(ownSms
        ? {}
        : {
            sendSms: async (message: SmsMessage) => {
              texts.push(message);
            },
          }),
    },
  );
  await latchkey.ready();
  const mailsTo = (to: string) => outbox.filter((mail) => mail.to.includes(to));
  const textsTo = (phone: string) => texts.filter((text) => text.to === phone);
  return {
    latchkey,
    dialect,
    client: (kind, remoteAddress) => new TestClient(latchkey, kind, undefined, remoteAddress),
    mails: () => [...outbox],
    mailsTo,
    lastMail(to) {
      const last = mailsTo(to).at(-1);
      if (!last) throw new Error(`no mail to ${to}`);
      return last;
    },
    texts: () => [...texts],
    textsTo,
    lastText(phone) {
      const last = textsTo(phone).at(-1);
      if (!last) throw new Error(`no text to ${phone}`);
      return last;
    },
    advance(ms) {
      offset += ms;
    },
    freezeClock() {
      frozenAt = Date.now();
      onTestFinished(() => {
        // Time goes on from where the frozen clock stood.
        offset += (frozenAt ?? Date.now()) - Date.now();
        frozenAt = null;
      });
    },
    async close() {
      await latchkey.close();
      await database.cleanup();
    },
  };
}

/**
 * A server for the tests of the describe block this is called in: started before its first
 * test, closed after its last. The handle is usable in those tests and in hooks registered
 * after this call. Options that depend on something an earlier hook starts come as a function.
 */
export function useLatchkey(
  dialect: Dialect,
  options: LatchkeyOptions | (() => LatchkeyOptions) = {},
  deps: TestDependencies = {},
): TestServer {
  let running: RunningServer | undefined;
  beforeAll(async () => {
    running = await launch(dialect, typeof options === "function" ? options() : options, deps);
  });
  afterAll(async () => {
    await running?.close();
    running = undefined;
  });
  const current = (): RunningServer => {
    if (!running) throw new Error("useLatchkey's server runs only during the tests of its describe block");
    return running;
  };
  return {
    dialect,
    get latchkey() {
      return current().latchkey;
    },
    client: (kind, remoteAddress) => current().client(kind, remoteAddress),
    mails: () => current().mails(),
    mailsTo: (to) => current().mailsTo(to),
    lastMail: (to) => current().lastMail(to),
    texts: () => current().texts(),
    textsTo: (phone) => current().textsTo(phone),
    lastText: (phone) => current().lastText(phone),
    advance: (ms) => current().advance(ms),
    freezeClock: () => current().freezeClock(),
  };
}

/** A server for the running test alone (other options than its suite's), closed when the test ends. */
export async function startLatchkey(
  dialect: Dialect,
  options: LatchkeyOptions = {},
  deps: TestDependencies = {},
): Promise<TestServer> {
  const running = await launch(dialect, options, deps);
  onTestFinished(() => running.close());
  return running;
}

/**
 * Another instance of `server`'s deployment, on its database with other options, for the running
 * test alone. Its mail goes to an outbox of its own.
 */
export async function startSecondLatchkey(
  server: TestServer,
  options: LatchkeyOptions = {},
): Promise<TestServer> {
  const running = await launch(server.dialect, options, {}, server);
  onTestFinished(() => running.close());
  return running;
}

export { Client };
