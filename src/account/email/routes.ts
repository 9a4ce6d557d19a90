import { type Route, route } from "../../http/route.js";
import { manageEmail } from "./manage.js";
import { resendVerificationCode, verifyEmail } from "./verification.js";

/**
 * The email area's endpoints (allauth `headless/account/urls.py`), relative to /{client}/v1.
 * Bodies are validated by the handlers (see inputs.ts for why); their schemas are in inputs.ts.
 */
export function emailRoutes(): Route[] {
  const manage = (method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", summary: string) =>
    route({
      method,
      path: "/account/email",
      summary,
      handler: (ctx, body: unknown) => manageEmail(ctx, method, body),
    });
  return [
    route({
      method: "GET",
      path: "/auth/email/verify",
      summary: "Get email verification information",
      rateLimit: "confirm_code",
      handler: (ctx) =>
        verifyEmail(ctx, "GET", { key: ctx.request.headers.get("x-email-verification-key") ?? "" }),
    }),
    route({
      method: "POST",
      path: "/auth/email/verify",
      summary: "Verify an email",
      rateLimit: "confirm_code",
      handler: (ctx, body: unknown) => verifyEmail(ctx, "POST", body),
    }),
    route({
      method: "POST",
      path: "/auth/email/verify/resend",
      summary: "Resend email verification code",
      handler: resendVerificationCode,
    }),
    manage("GET", "List email addresses"),
    manage("POST", "Add/Change email address"),
    manage("PUT", "Request email verification"),
    manage("PATCH", "Change primary email address"),
    manage("DELETE", "Remove an email address"),
  ];
}
