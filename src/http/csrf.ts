import { safeEqual } from "../core/crypto.js";
import type { ApiRequest } from "./exchange.js";

/**
 * Django's CSRF rules for browser requests that change state: the token the request submits (the
 * X-CSRFToken header, or a form's `csrfmiddlewaretoken`) must equal the csrftoken cookie, and a
 * browser's Origin must be the API's own or a trusted one. Returns why the request fails, or null.
 */
export function csrfProblem(
  request: ApiRequest,
  cookieToken: string | null,
  submittedToken: string | null,
  trusted: ReadonlySet<string>,
): string | null {
  const origin = request.headers.get("origin");
  if (
    origin === "null" ||
    (origin !== null && origin !== new URL(request.url).origin && !trusted.has(origin))
  ) {
    return "origin not trusted";
  }
  if (!cookieToken) return "CSRF cookie not set";
  if (!submittedToken) return "CSRF token missing";
  if (!safeEqual(submittedToken, cookieToken)) return "CSRF token incorrect";
  return null;
}
