import type { Logger } from "pino";
import { randomString } from "../core/crypto.js";
import { Client, type Flow } from "../core/enums.js";
import {
  type ApiError,
  apiError,
  type MessageId,
  type Messages,
  type MessageValues,
} from "../core/errors.js";
import { badRequest, type Result } from "../core/responses.js";
import type { FlowInfo } from "../core/wire.js";
import type { ApiRequest } from "../http/exchange.js";
import type { RateLimitAction, RateLimiter } from "../http/ratelimit/index.js";
import type { Mailer } from "../mail/index.js";
import type { ResolvedOptions } from "../options/schema.js";
import type { PendingLogin, Session } from "../sessions/session.js";
import type { SessionStore } from "../sessions/store.js";
import type { TokenStrategy } from "../sessions/tokens/strategy.js";
import type { SmsSender } from "../sms/index.js";
import type { EmailAddresses } from "../store/addresses.js";
import type { Authenticators } from "../store/authenticators.js";
import type { CodeProcessStore } from "../store/code-processes.js";
import type { Store } from "../store/database.js";
import type { KeyStore } from "../store/keys.js";
import type { PhoneNumbers } from "../store/phones.js";
import type { SessionUser } from "../store/session-users.js";
import { toWireUser, type UserRecord, type Users } from "../store/users.js";
import type { HookRequest, LatchkeyHooks, SecurityEvent, SecurityEventInfo, SignupAttempt } from "./hooks.js";

/*
 * The request context, the runtime behind it, and the contracts the runtime holds (stages,
 * hooks): one module, because each of them is typed in terms of the others.
 */

const CSRF_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** One request as handlers see it: who is calling, through which tree, with which session. */
export class Context {
  /** Set-Cookie headers the response should carry besides the pipeline's own (e.g. trust cookies). */
  readonly extraCookies: string[] = [];
  /** The CSRF token the browser should hold after this response. */
  csrfToken: string | null;
  /** The pending login, once a stage gate found the stage the route belongs to pending. */
  login: PendingLogin | null = null;
  /**
   * The account an anonymous request acts on, when a gate found one (changing the address of a
   * signup that awaits its code): user-keyed rate limits count for it.
   */
  actingFor: SessionUser | null = null;

  constructor(
    readonly rt: Runtime,
    readonly request: ApiRequest,
    readonly client: Client,
    readonly ip: string,
    /** The session (loaded, or fresh and unsaved). */
    public session: Session,
    /** The authenticated user, or null. */
    public user: SessionUser | null,
    /** The token the client sent (app), to tell whether a new one must be handed out. */
    readonly sentToken: string | null,
    readonly cookies: Map<string, string>,
  ) {
    this.csrfToken = client === Client.BROWSER ? (cookies.get(rt.options.csrf.cookieName) ?? null) : null;
  }

  get options() {
    return this.rt.options;
  }

  get userAgent(): string {
    return this.request.headers.get("user-agent") ?? "";
  }

  now(): number {
    return this.rt.now();
  }

  /** An error object in the envelope's shape, its message from the message table. */
  error(id: MessageId, param?: string, values?: MessageValues): ApiError {
    return apiError(this.rt.messages, id, param, values);
  }

  /** 400 with one error. */
  invalid(id: MessageId, param?: string, values?: MessageValues): Result {
    return badRequest([this.error(id, param, values)]);
  }

  /** This request as the hooks see it. */
  get hookRequest(): HookRequest {
    const { method, url, headers } = this.request;
    return { method, url, headers, ip: this.ip, userAgent: this.userAgent, client: this.client };
  }

  /**
   * Records a security event: one structured log line, then your handler (createLatchkey's
   * `on`), awaited; a handler that throws fails the request (the pipeline answers a logged 500).
   */
  async emit(
    event: SecurityEvent,
    user: SessionUser | null,
    details: Record<string, unknown> = {},
  ): Promise<void> {
    this.rt.logger.info(
      {
        event,
        user: user?.id ?? null,
        ip: this.ip,
        userAgent: this.userAgent,
        client: this.client,
        ...details,
      },
      event,
    );
    const handler = this.rt.adapter.on?.[event];
    if (!handler) return;
    const info: SecurityEventInfo = {
      event,
      user: user ? toWireUser(user) : null,
      ip: this.ip,
      userAgent: this.userAgent,
      client: this.client,
      at: new Date(this.now()),
      details,
    };
    await handler(info);
  }

  /** Whether your isOpenForSignup hook lets this signup go ahead (true without one). */
  async mayOpenSignup(attempt: SignupAttempt): Promise<boolean> {
    const hook = this.rt.adapter.isOpenForSignup;
    return hook ? (await hook(this.hookRequest, attempt)) === true : true;
  }

  /** A new CSRF token, as Django does at login: tokens seen before login stop working. */
  rotateCsrf(): void {
    if (this.client === Client.BROWSER) this.csrfToken = newCsrfToken();
  }

  /**
   * Consumes one attempt of a rate-limited action for this caller (ip, user, and `key` when the
   * action has per-key rules). False means the limit is reached.
   */
  async rateLimit(action: RateLimitAction, key?: string | null): Promise<boolean> {
    const limiter = this.rt.rateLimiter;
    if (!limiter) return true;
    const user = this.user ?? this.actingFor;
    return limiter.consume(action, { ip: this.ip, user: user?.id ?? null, key: key ?? null });
  }
}

/** A context whose caller is logged in (behind the `authenticated` gate). */
export type AuthenticatedContext = Context & { user: SessionUser };

/** A context whose pending login is at the route's stage (behind a stage gate). */
export type StageContext = Context & { login: PendingLogin };

export function newCsrfToken(): string {
  return randomString(32, CSRF_ALPHABET);
}

/** Password hashing as the flows use it (argon2id, off the event loop). */
export interface PasswordHashing {
  hash(password: string): Promise<string>;
  /** ok=false for a null (unusable) hash; needsRehash when the stored parameters are outdated. */
  verify(hash: string | null, password: string): Promise<{ ok: boolean; needsRehash: boolean }>;
}

/** Everything a request handler may use, wired once by createLatchkey (latchkey.ts). */
export interface Runtime {
  options: ResolvedOptions;
  store: Store;
  users: Users;
  addresses: EmailAddresses;
  authenticators: Authenticators;
  /** Mailed keys (verification and reset links) and trust tokens. */
  keys: KeyStore;
  /** Codes mailed to people, with their attempt counters. */
  codes: CodeProcessStore;
  /** The users' phone numbers. */
  phones: PhoneNumbers;
  sessions: SessionStore;
  hasher: PasswordHashing;
  /** null when rate limits are off. */
  rateLimiter: RateLimiter | null;
  mailer: Mailer;
  /** Texts to phones. */
  sms: SmsSender;
  logger: Logger;
  /** How app clients present their session, and what they get at login. */
  tokens: TokenStrategy;
  /** Who lists entries of the 401 flow list (the areas, in their order). */
  flowSources: readonly FlowSource[];
  /** The login stages, in allauth's order. */
  stages: readonly Stage[];
  /** What areas let other areas ask of them. */
  hooks: AreaHooks;
  /** Your hooks (createLatchkey's isOpenForSignup, signupFields, on). */
  adapter: LatchkeyHooks;
  /** The message of every error, by message id. */
  messages: Messages;
  /** Epoch milliseconds; replaceable in tests to move through expiry windows. */
  now(): number;
}

/** An area's entries of the 401 flow list (see Area.flows). */
export type FlowSource = (ctx: Context) => Promise<FlowInfo[]> | FlowInfo[];

/**
 * One step of the login pipeline that runs after the first factor (password, code, social,
 * passkey). Stages run in allauth's order (STAGE_ORDER in login.ts); a stage that applies stops the login with a 401
 * naming it as the pending flow, until its own endpoint completes it.
 */
export interface Stage {
  /** The flow id the client sees while this stage is pending. */
  key: Flow;
  /** Whether this login must pass this stage. */
  applies(ctx: Context, login: PendingLogin, user: UserRecord): Promise<boolean>;
  /**
   * Runs when the stage becomes pending (e.g. mails a code). A Result means the stage cannot
   * start (its mail is rate-limited): the login ends with that answer.
   */
  start?(ctx: Context, login: PendingLogin, user: UserRecord): Promise<Result | undefined>;
  /** Extra keys of the pending flow object (e.g. `types` of mfa_authenticate). */
  describe?(ctx: Context, login: PendingLogin): Promise<Partial<FlowInfo>>;
}

/**
 * Questions one area answers for another, so neither imports the other: MFA says whether an
 * address may be added, without the account area knowing MFA.
 */
export interface AreaHooks {
  /**
   * Why the user may not add an address that is not proven yet (MFA: `add_email_blocked`, on the
   * `email` field), or null.
   */
  refuseAddingEmail(ctx: Context, user: SessionUser): Promise<ApiError | null>;
}
