import type { z } from "zod";
import type { Client } from "../core/enums.js";
import type { User } from "../core/wire.js";

/**
 * Your code in Latchkey's decisions (allauth's adapter, the TypeScript way): who may sign up,
 * which extra fields a signup takes, and what you do when something happens to an account. Given
 * to createLatchkey beside the other dependencies; every hook is optional.
 */
export interface LatchkeyHooks {
  /**
   * Whether this signup may go ahead (allauth `is_open_for_signup`), asked after
   * account.isOpenForSignup allowed it: before a signup form is checked, before a provider login
   * creates an account, before a passkey signup starts. `false` refuses it as a closed signup
   * does (403; a provider login ends at the login-error page with `signup_closed`). /config and
   * the flow list keep showing account.isOpenForSignup: this hook decides attempts, not the form.
   */
  isOpenForSignup?: (request: HookRequest, signup: SignupAttempt) => boolean | Promise<boolean>;
  /**
   * Extra fields of POST /auth/signup (and of a provider signup's form): a zod object whose
   * fields are validated with the form's own (errors in the same envelope, with your schema's
   * messages), stored with the user as JSON and returned in the user object beside the standard
   * keys. Names of the standard user keys and signup fields are refused at createLatchkey.
   */
  signupFields?: z.ZodObject;
  /** Your handlers of security events, by event (see SECURITY_EVENTS). */
  on?: SecurityEventHandlers;
}

/** The request a hook is asked about. The body has been read; what it said is in the hook's other argument. */
export interface HookRequest {
  method: string;
  url: string;
  headers: { get(name: string): string | null };
  /** The client's address (trusted proxies applied). */
  ip: string;
  userAgent: string;
  client: Client;
}

/** What a signup is known by when isOpenForSignup is asked. */
export interface SignupAttempt {
  /** How the account would be made: a signup form, a provider login, a passkey. */
  via: "form" | "provider" | "passkey";
  email?: string;
  phone?: string;
  /** The provider id of a provider signup (e.g. "google"). */
  provider?: string;
}

/**
 * Security events: what happened to an account, for logs and for your own code. Each is logged
 * as one structured line (level info, `event` field) and handed to your handler under `on`.
 */
export const SECURITY_EVENTS = [
  "signup",
  "login",
  "loginFailed",
  "logout",
  "passwordChanged",
  "passwordReset",
  "emailVerified",
  "emailAdded",
  "emailRemoved",
  "mfaAdded",
  "mfaRemoved",
  "sessionRevoked",
] as const;

export type SecurityEvent = (typeof SECURITY_EVENTS)[number];

/** One event, as a handler receives it. */
export interface SecurityEventInfo {
  event: SecurityEvent;
  /** The user it is about, as the API shows it; null when no account is known (a failed login of an unknown name). */
  user: User | null;
  /** The client's address (trusted proxies applied). */
  ip: string;
  userAgent: string;
  client: Client;
  at: Date;
  /** What else the event says: the login method, the address added, the authenticator type… */
  details: Readonly<Record<string, unknown>>;
}

/**
 * Your handlers, by event. A handler runs after the change is stored and before the answer is
 * sent; one that throws fails the request with a logged JSON 500 (the change stays made).
 */
export type SecurityEventHandlers = Partial<
  Record<SecurityEvent, (info: SecurityEventInfo) => void | Promise<void>>
>;
