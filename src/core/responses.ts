import type { ApiError } from "./errors.js";

/**
 * What an API handler returns: the envelope's parts. The pipeline adds the session token, cookies
 * and headers; handlers never build HTTP responses by hand. On the wire it is the envelope
 * itself (`toEnvelope`): keys without a value are omitted.
 */
export interface Result {
  status: number;
  data?: unknown;
  meta?: Record<string, unknown>;
  errors?: ApiError[];
}

/** A 302 to `location` (allauth's provider redirect and callback answer so). */
export interface Redirect {
  redirect: string;
}

/** An HTML page (the development provider's login form). */
export interface Page {
  status: number;
  html: string;
}

/** What any handler may answer. */
export type Answer = Result | Redirect | Page;

export function isRedirect(answer: Answer): answer is Redirect {
  return "redirect" in answer;
}

export function isPage(answer: Answer): answer is Page {
  return "html" in answer;
}

export const ok = (data?: unknown, meta?: Record<string, unknown>): Result => ({
  status: 200,
  ...(data !== undefined ? { data } : {}),
  ...(meta !== undefined ? { meta } : {}),
});

export const badRequest = (errors: ApiError[]): Result => ({ status: 400, errors });
export const forbidden = (): Result => ({ status: 403 });
export const conflict = (errors?: ApiError[]): Result => ({ status: 409, ...(errors ? { errors } : {}) });
export const tooManyRequests = (): Result => ({ status: 429 });
export const notFound = (errors?: ApiError[]): Result => ({ status: 404, ...(errors ? { errors } : {}) });
export const redirect = (location: string): Redirect => ({ redirect: location });

/** The wire envelope of a result: keys without a value are omitted. */
export function toEnvelope(result: Result): Result {
  const envelope: Result = { status: result.status };
  if (result.data !== undefined) envelope.data = result.data;
  if (result.meta !== undefined && Object.keys(result.meta).length > 0) envelope.meta = result.meta;
  if (result.errors !== undefined && result.errors.length > 0) envelope.errors = result.errors;
  return envelope;
}
