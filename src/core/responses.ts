import type { ApiError } from "./errors.js";

/**
 * What a handler returns: the envelope's parts. The pipeline adds the session token, cookies
 * and headers; handlers never build HTTP responses by hand (DESIGN §4).
 */
export interface Result {
  status: number;
  data?: unknown;
  meta?: Record<string, unknown>;
  errors?: ApiError[];
}

/** The wire envelope: keys without a value are omitted. */
export interface Envelope {
  status: number;
  data?: unknown;
  meta?: Record<string, unknown>;
  errors?: ApiError[];
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

export function toEnvelope(result: Result): Envelope {
  const envelope: Envelope = { status: result.status };
  if (result.data !== undefined) envelope.data = result.data;
  if (result.meta !== undefined && Object.keys(result.meta).length > 0) envelope.meta = result.meta;
  if (result.errors !== undefined && result.errors.length > 0) envelope.errors = result.errors;
  return envelope;
}
