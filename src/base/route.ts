import type { z } from "zod";
import type { Client, Flow } from "../core/enums.js";
import type { ApiError } from "../core/errors.js";
import type { Answer, Result } from "../core/responses.js";
import type { Responses } from "../core/wire-schemas.js";
import type { RateLimitAction } from "../http/ratelimit/index.js";
import type { AuthenticatedContext, Context, StageContext } from "./context.js";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/**
 * Who may call a route. The pipeline checks it before the route's rate limit and before the body
 * is read, as allauth's view classes check in `dispatch`, so a caller who may not call the route
 * learns nothing about its input.
 */
export type Gate =
  /** A logged-in caller (allauth AuthenticatedAPIView); anyone else gets the plain 401. */
  | { readonly kind: "authenticated" }
  /**
   * A pending login at `stage` (allauth AuthenticationStageAPIView): otherwise 401 with
   * `is_authenticated: null` ("unauthenticated"), or 409 ("conflict") where allauth answers so.
   * `afterInput`: checked once the input is valid, where allauth's view checks the stage in its
   * handler rather than in `dispatch` (PUT /auth/webauthn/signup).
   */
  | {
      readonly kind: "stage";
      readonly stage: Flow;
      readonly otherwise: "unauthenticated" | "conflict";
      readonly afterInput?: boolean;
    }
  /**
   * A check of the route's own (null lets the request through). `anonymous` is what a caller
   * with no session state gets from it.
   */
  | { readonly kind: "custom"; readonly anonymous: 401 | 409; check(ctx: Context): Promise<Result | null> };

/** A logged-in caller only. */
export const authenticated = { kind: "authenticated" } as const;

/** A login pending at `stage` only. */
export function pendingStage<const S extends Flow>(
  stage: S,
  otherwise: "unauthenticated" | "conflict",
  opts: { afterInput?: true } = {},
) {
  return { kind: "stage", stage, otherwise, ...opts } as const;
}

/** The context a handler behind gate G gets: the user or the pending login narrowed to present. */
export type ContextFor<G> = G extends { kind: "authenticated" }
  ? AuthenticatedContext
  : G extends { kind: "stage" }
    ? StageContext
    : Context;

/**
 * One endpoint, as data: the router, the tests and the served OpenAPI document are all built from
 * these. `path` is relative to `/{base}/{client}/v1`.
 */
export interface Route<I = unknown, G extends Gate | undefined = Gate | undefined> {
  method: Method;
  path: string;
  /** The trees that have this endpoint (default: both). */
  clients?: readonly Client[];
  summary: string;
  gate?: G;
  /** An ip/user-keyed rate limit consumed after the gate, before the body is read (429 when reached). */
  rateLimit?: RateLimitAction;
  /**
   * The body's format: JSON (the default), or an HTML form (`application/x-www-form-urlencoded`),
   * whose browser posts carry the CSRF token in `csrfmiddlewaretoken`.
   */
  body?: "json" | "form";
  /** The input's schema, validated before the handler runs. */
  input?: z.ZodType<I>;
  /** For GET routes: input fields read from request headers, by field (allauth reads keys from headers). */
  inputFromHeaders?: Readonly<Record<string, string>>;
  /**
   * Runs when the input does not validate, before the 400: a code input counts a failed attempt;
   * a form whose checks go beyond the schema (signup) adds the errors of its other fields, as
   * Django reports every field's errors together. Returns the errors to answer, or nothing to
   * keep the schema's.
   */
  onInvalidInput?(
    ctx: ContextFor<G>,
    body: Record<string, unknown>,
    errors: ApiError[],
  ): Promise<ApiError[] | undefined>;
  /**
   * What it answers, by status, for the served OpenAPI document (the shared answers are in
   * core/wire-schemas.ts). The answers its gate, rate limit and body reading give are added there
   * from the route's declaration.
   */
  responses?: Responses;
  /**
   * What the handler reads from the request itself rather than through `input` (a form read field
   * by field as allauth's forms read it, a query flag): for the OpenAPI document only.
   */
  reads?: { body?: z.ZodType; query?: z.ZodObject };
  handler(ctx: ContextFor<G>, input: I): Promise<Answer>;
}

/** Declares a route, keeping its input and gate types tied to its handler. */
export function route<I, G extends Gate | undefined = undefined>(def: Route<I, G>): Route {
  return def as unknown as Route;
}

/** What a page handler gets besides the context. */
export interface PageRequest {
  /** The `:name` segments of the path. */
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  /** The form fields of a POST (empty for GET). */
  form: Readonly<Record<string, string>>;
}

/**
 * An endpoint outside the API base (allauth's `/accounts/...` views, such as a provider's
 * callback): browser requests that carry the session cookie, answered by a redirect or a page.
 * No CSRF check: providers call back cross-site.
 */
export interface PageRoute {
  method: "GET" | "POST";
  /** The path from the site root; `:name` matches one segment (e.g. "/accounts/:provider/login/callback/"). */
  path: string;
  summary: string;
  /** What it answers, by status, for the served OpenAPI document. */
  responses?: Responses;
  handler(ctx: Context, request: PageRequest): Promise<Answer>;
}

/** A route of a mounted API (see MountedApi) as the OpenAPI document shows it. */
export interface MountedRouteDoc {
  summary: string;
  /** The JSON body's schema. */
  input?: z.ZodType;
  responses: Responses;
  /** Whether it takes an access token in `Authorization: Bearer`. */
  bearer: boolean;
}
