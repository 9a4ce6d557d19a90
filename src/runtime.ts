import type { Logger } from "pino";
import type { PasswordHasher } from "./account/passwords/hasher.js";
import type { Stage } from "./account/stages.js";
import type { RateLimiter } from "./http/ratelimit/index.js";
import type { Mailer } from "./mail/index.js";
import type { ResolvedOptions } from "./options/schema.js";
import type { SessionStore } from "./sessions/store.js";
import type { TokenStrategy } from "./sessions/tokens/strategy.js";
import type { CodeProcessStore } from "./store/code-processes.js";
import type { Store } from "./store/database.js";

/** Everything a request handler may use, wired once by createLatchkey (latchkey.ts). */
export interface Runtime {
  options: ResolvedOptions;
  store: Store;
  sessions: SessionStore;
  /** Codes mailed to people, with their attempt counters. */
  codes: CodeProcessStore;
  hasher: PasswordHasher;
  /** null when rate limits are off. */
  rateLimiter: RateLimiter | null;
  mailer: Mailer;
  logger: Logger;
  /** How app clients present their session, and what they get at login. */
  tokens: TokenStrategy;
  /** The login stages, in allauth's order (DESIGN §5). */
  stages: readonly Stage[];
  /** Epoch milliseconds; replaceable in tests to move through expiry windows. */
  now(): number;
}
