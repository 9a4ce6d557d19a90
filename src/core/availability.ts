import type { ApiError } from "./errors.js";

/**
 * A start (connect, migrate, open the rate-limit store) that is tried again after a failure
 * instead of being remembered as failed: a database that is down when the application starts
 * is used as soon as it is back, without a restart. Attempts are made on demand, by the callers
 * that need the start, at most once per backoff period (doubling from 1 s to 30 s); between
 * them the last failure is answered at once.
 */

const FIRST_RETRY_MS = 1000;
const LONGEST_RETRY_MS = 30_000;

export interface StartupOptions {
  /** Epoch ms; the retry schedule follows it. */
  now(): number;
  /** Told about each failed attempt and when the next one may be made. */
  onFailure(err: unknown, retryInMs: number): void;
}

export interface Startup {
  /**
   * Null once started (nothing to wait for: the request path takes no await for it). Otherwise the
   * attempt in flight, a new attempt when the last one failed long enough ago, or that failure.
   */
  pending(): Promise<void> | null;
  /** Seconds until the next attempt may be made (at least 1): the Retry-After of a 503. */
  retryAfterSeconds(): number;
  /** Resolves when no attempt is in flight (closing waits for it); starts none. */
  settled(): Promise<void>;
}

export function retryingStartup(start: () => Promise<void>, options: StartupOptions): Startup {
  let started = false;
  let attempt: Promise<void> | null = null;
  let failed = false;
  let failures = 0;
  let retryAt = 0;
  const run = (): Promise<void> => {
    failed = false;
    const current = start().then(
      () => {
        started = true;
        attempt = null;
      },
      (err: unknown) => {
        failures += 1;
        const wait = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** (failures - 1));
        retryAt = options.now() + wait;
        failed = true;
        options.onFailure(err, wait);
        throw err;
      },
    );
    // A failure nobody waits for is still reported (onFailure); it must not go unhandled.
    current.catch(() => {});
    attempt = current;
    return current;
  };
  return {
    pending() {
      if (started) return null;
      if (attempt === null || (failed && options.now() >= retryAt)) return run();
      return attempt;
    },
    retryAfterSeconds() {
      return Math.max(1, Math.ceil((retryAt - options.now()) / 1000));
    },
    async settled() {
      await attempt?.catch(() => {});
    },
  };
}

/**
 * The store (database) cannot be reached: Latchkey could not start yet, or lost its connection.
 * Latchkey's own answers are then 503 with Retry-After; its helpers for your routes (getSession,
 * validateSessionToken…) reject with this error, whose `answer` the middleware sends the same way.
 */
export class ServiceUnavailableError extends Error {
  constructor(
    /** Seconds after which trying again makes sense (the Retry-After header). */
    readonly retryAfterSeconds: number,
    /** The 503 in the API's envelope. */
    readonly answer: { status: 503; errors: ApiError[] },
    options?: { cause?: unknown },
  ) {
    super("Latchkey's database cannot be reached; try again shortly", options);
    this.name = "ServiceUnavailableError";
  }
}
