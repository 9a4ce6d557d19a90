import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { Client } from "../../src/core/enums.js";
import { createLatchkey, type Latchkey } from "../../src/latchkey.js";
import { type ParsedEml, readMailDirectory } from "../../src/mail/eml.js";
import type { LatchkeyOptions } from "../../src/options/schema.js";
import { TestClient } from "./client.js";
import { createTestDatabase, type Dialect } from "./stores.js";

/** Cheap argon2id parameters for tests that are not about hashing cost. */
export const FAST_HASHING = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

export interface TestServer {
  latchkey: Latchkey;
  dialect: Dialect;
  /** A new frontend of the given kind. */
  client(kind: Client, remoteAddress?: string): TestClient;
  /** Every mail sent so far, oldest first (the file transport writes one .eml per message). */
  mails(): Promise<ParsedEml[]>;
  /** The mails to an address, oldest first. */
  mailsTo(to: string): Promise<ParsedEml[]>;
  /** The newest mail to an address (throws when there is none). */
  lastMail(to: string): Promise<ParsedEml>;
  /** Moves the server's clock forward. */
  advance(ms: number): void;
  close(): Promise<void>;
}

/** A Latchkey on its own fresh database, rate limits off and fast hashing unless the options say otherwise. */
export async function startLatchkey(dialect: Dialect, options: LatchkeyOptions = {}): Promise<TestServer> {
  const db = await createTestDatabase(dialect);
  const mailDir = mkdtempSync(join(tmpdir(), "latchkey-mail-"));
  let offset = 0;
  const latchkey = createLatchkey(
    {
      rateLimits: false,
      ...options,
      password: { ...options.password, hashing: options.password?.hashing ?? FAST_HASHING },
      database: { ...options.database, url: db.url },
      mail: options.mail ?? { transport: "file", fileDirectory: mailDir },
    },
    { now: () => Date.now() + offset, logger: pino({ level: process.env.LATCHKEY_TEST_LOG ?? "silent" }) },
  );
  await latchkey.ready();
  const mailsTo = async (to: string) => (await readMailDirectory(mailDir)).filter((m) => m.to.includes(to));
  return {
    latchkey,
    dialect,
    client: (kind, remoteAddress) => new TestClient(latchkey, kind, undefined, remoteAddress),
    mails: () => readMailDirectory(mailDir),
    mailsTo,
    async lastMail(to) {
      const mails = await mailsTo(to);
      const last = mails[mails.length - 1];
      if (!last) throw new Error(`no mail to ${to}`);
      return last;
    },
    advance(ms) {
      offset += ms;
    },
    async close() {
      await latchkey.close();
      await db.cleanup();
      rmSync(mailDir, { recursive: true, force: true });
    },
  };
}

export { Client };
