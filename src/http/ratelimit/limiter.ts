import { createHash } from "node:crypto";
import type { RateLimiterAbstract } from "rate-limiter-flexible";
import {
  DEFAULT_RATE_LIMITS,
  parseRateSpec,
  type RateKeyType,
  type RateLimitAction,
  type RateRule,
} from "./spec.js";
import { type CounterStore, openCounterStore, type RateLimitStore } from "./stores.js";

export interface RateLimitSubject {
  /** The client IP as the request context determined it (trusted-proxy rules applied). */
  ip: string;
  /** The user's primary key; `user` rules are skipped without one. */
  user?: string | number | null;
  /**
   * The action's own key, e.g. the email for `reset_password`, the account and client IP for
   * `login_failed`; `key` rules are skipped without one. Passed as given: callers normalise it.
   */
  key?: string | null;
}

/** Which rules of an action an operation touches. */
export interface RuleSelection {
  /** Only the rules of these key types; every rule when absent. */
  only?: readonly RateKeyType[];
}

export type RateLimitOverrides = Partial<Record<RateLimitAction, string | false>>;

/** Every action with its default rules (allauth's ACCOUNT_RATE_LIMITS and the areas' own). */
export type RateLimitDefaults = Readonly<Record<string, string | false>>;

export interface RateLimiterOptions {
  /**
   * Told about store failures (unreachable Redis, PostgreSQL errors, timeouts), at most once every
   * 5 seconds so an outage does not flood the log. Default: `console.error`.
   */
  onError?: (err: unknown) => void;
  /** A store call that takes longer counts as failed (and the request is allowed). Default 2000 ms. */
  timeoutMs?: number;
  /** The actions and their default rules; default: DEFAULT_RATE_LIMITS. */
  defaults?: RateLimitDefaults;
}

interface Counter {
  keyType: RateKeyType;
  limiter: RateLimiterAbstract;
}

const ERROR_REPORT_INTERVAL_MS = 5000;
const DEFAULT_TIMEOUT_MS = 2000;
// Values that are short and plain are kept readable in the store; anything else is hashed so keys
// stay bounded (PostgreSQL's key column is varchar(255)) and carry no user-supplied text.
const PLAIN_VALUE = /^[A-Za-z0-9.:_-]{1,64}$/;

/**
 * allauth's per-action rate limits (`ACCOUNT_RATE_LIMITS`) on rate-limiter-flexible.
 *
 * Each rule keeps a fixed-window counter (allauth keeps a sliding log of timestamps): at most
 * `points` consumptions per `durationSeconds`, the window starting at the first one.
 *
 * Store failures fail open: the request is allowed and `onError` is told. A rate limit is a
 * brake on abuse, not an access check; refusing every login and signup because Redis restarted
 * would turn a cache outage into a full outage of authentication, which is worse than briefly
 * unthrottled attempts (passwords are still checked, and argon2 keeps guessing slow).
 */
export class RateLimiter {
  private closed = false;

  private constructor(
    private readonly counters: ReadonlyMap<RateLimitAction, readonly Counter[]>,
    private readonly store: CounterStore | null,
    private readonly reportError: (err: unknown) => void,
    private readonly timeoutMs: number,
  ) {}

  /**
   * `limits: false` disables everything (and opens no store); otherwise per-action overrides are
   * merged over allauth's defaults, and an action set to `""` or `false` is off. Every spec is
   * parsed here, so a bad one fails at startup. Rejects if the PostgreSQL table cannot be created;
   * an unreachable Redis does not reject (it is reported and retried in the background).
   */
  static async create(
    limits: false | RateLimitOverrides,
    store: RateLimitStore,
    options: RateLimiterOptions = {},
  ): Promise<RateLimiter> {
    const reportError = throttle(options.onError ?? defaultOnError, ERROR_REPORT_INTERVAL_MS);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const rulesByAction = resolveRules(limits, options.defaults ?? DEFAULT_RATE_LIMITS);
    if (rulesByAction.size === 0) return new RateLimiter(new Map(), null, reportError, timeoutMs);

    const counterStore = await openCounterStore(store, { reportError, commandTimeoutMs: timeoutMs });
    const counters = new Map<RateLimitAction, Counter[]>();
    for (const [action, rules] of rulesByAction) {
      counters.set(
        action,
        rules.map((rule) => ({
          keyType: rule.keyType,
          // The name holds the window but not the points: raising a limit keeps the running count.
          limiter: counterStore.counter(
            `${action}:${rule.keyType}:${rule.durationSeconds}s`,
            rule.points,
            rule.durationSeconds,
          ),
        })),
      );
    }
    return new RateLimiter(counters, counterStore, reportError, timeoutMs);
  }

  /**
   * Consumes one point from every rule of the action whose key the subject has. Returns false when
   * any of them is exhausted. Never throws for store failures (see the class comment).
   */
  async consume(action: RateLimitAction, subject: RateLimitSubject): Promise<boolean> {
    const counters = this.counters.get(action);
    if (counters === undefined) return true;
    const verdicts = await Promise.all(
      counters.map(async ({ keyType, limiter }) => {
        const key = subjectKey(keyType, subject);
        if (key === null) return true;
        try {
          await this.bounded(limiter.consume(key));
          return true;
        } catch (err) {
          if (isRefusal(err)) return false;
          this.reportError(err);
          return true;
        }
      }),
    );
    return verdicts.every(Boolean);
  }

  /**
   * Resets the action's counters for this subject: every rule, or only the rules of the given key
   * types (a successful login clears its account's failures but not its IP's).
   */
  async clear(
    action: RateLimitAction,
    subject: RateLimitSubject,
    selection: RuleSelection = {},
  ): Promise<void> {
    await this.eachCounter(action, subject, selection, (limiter, key) => limiter.delete(key));
  }

  /**
   * Gives back the point one consume() took, to every rule or only those of the given key types:
   * an attempt that turned out well is counted first and refunded after, so the check before it
   * stays one atomic step in the store however many requests race. A refund that comes after the
   * window ended starts the next window one point ahead.
   */
  async reward(
    action: RateLimitAction,
    subject: RateLimitSubject,
    selection: RuleSelection = {},
  ): Promise<void> {
    await this.eachCounter(action, subject, selection, (limiter, key) => limiter.reward(key, 1));
  }

  private async eachCounter(
    action: RateLimitAction,
    subject: RateLimitSubject,
    selection: RuleSelection,
    operation: (limiter: RateLimiterAbstract, key: string) => Promise<unknown>,
  ): Promise<void> {
    const counters = this.counters.get(action);
    if (counters === undefined) return;
    await Promise.all(
      counters.map(async ({ keyType, limiter }) => {
        if (selection.only !== undefined && !selection.only.includes(keyType)) return;
        const key = subjectKey(keyType, subject);
        if (key === null) return;
        try {
          await this.bounded(operation(limiter, key));
        } catch (err) {
          this.reportError(err);
        }
      }),
    );
  }

  /**
   * Whether the store answers now (readiness checks): always for memory, a round trip within the
   * store timeout for PostgreSQL and Redis. Requests do not depend on it (the limiter fails open).
   */
  async reachable(): Promise<boolean> {
    if (!this.store) return true;
    try {
      await this.bounded(this.store.ping());
      return true;
    } catch {
      return false;
    }
  }

  /** Closes what create() opened (the Redis connection, the cleanup timer); a pool passed in stays open. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.store?.close();
  }

  private bounded<T>(operation: Promise<T>): Promise<T> {
    if (!this.store?.remote) return operation;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Rate limit store did not answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    });
    return Promise.race([operation, timeout]).finally(() => clearTimeout(timer));
  }
}

function resolveRules(
  limits: false | RateLimitOverrides,
  defaults: RateLimitDefaults,
): Map<RateLimitAction, RateRule[]> {
  const resolved = new Map<RateLimitAction, RateRule[]>();
  if (limits === false) return resolved;
  for (const action of Object.keys(limits)) {
    if (!Object.hasOwn(defaults, action)) {
      throw new Error(`Unknown rate limit action ${JSON.stringify(action)}`);
    }
  }
  for (const [action, defaultSpec] of Object.entries(defaults) as [RateLimitAction, string | false][]) {
    const override = limits[action];
    const spec = override === undefined ? defaultSpec : override;
    if (spec === false) continue;
    if (typeof spec !== "string") {
      throw new Error(`Rate limit for ${action} must be a string or false, got ${typeof spec}`);
    }
    const rules = strictestPerWindow(parseRateSpec(spec));
    if (rules.length > 0) resolved.set(action, rules);
  }
  return resolved;
}

/**
 * Two rules with the same key type and window would share one counter (its name is derived from
 * both) and each consume would count twice; with fixed windows only the smaller limit matters.
 */
function strictestPerWindow(rules: RateRule[]): RateRule[] {
  const byWindow = new Map<string, RateRule>();
  for (const rule of rules) {
    const window = `${rule.keyType}:${rule.durationSeconds}`;
    const seen = byWindow.get(window);
    if (seen === undefined || rule.points < seen.points) byWindow.set(window, rule);
  }
  return [...byWindow.values()];
}

function subjectKey(keyType: RateKeyType, subject: RateLimitSubject): string | null {
  switch (keyType) {
    case "ip":
      return readable(subject.ip);
    case "user":
      return subject.user === null || subject.user === undefined ? null : readable(String(subject.user));
    case "key":
      // Always hashed, as allauth does: keys are emails and other user input.
      return subject.key === null || subject.key === undefined ? null : sha256(subject.key);
  }
}

function readable(value: string): string {
  // "~" cannot occur in a plain value, so a hash never collides with one.
  return PLAIN_VALUE.test(value) ? value : `~${sha256(value)}`;
}

function sha256(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("hex");
}

/**
 * Whether a rejected consume() is the limit being reached: rate-limiter-flexible rejects with its
 * RateLimiterRes then (not an Error), and with the store's Error when the store failed.
 */
function isRefusal(err: unknown): boolean {
  return (
    typeof err === "object" &&
    err !== null &&
    !(err instanceof Error) &&
    typeof (err as { msBeforeNext?: unknown }).msBeforeNext === "number"
  );
}

function throttle(report: (err: unknown) => void, intervalMs: number): (err: unknown) => void {
  let lastReportAt = Number.NEGATIVE_INFINITY;
  return (err) => {
    const now = Date.now();
    if (now - lastReportAt < intervalMs) return;
    lastReportAt = now;
    try {
      report(err);
    } catch {
      // A failing logger must not turn into a failed request.
    }
  };
}

function defaultOnError(err: unknown): void {
  console.error("[latchkey] rate limit store failed; allowing the request:", err);
}
