import { authenticated, type Route, route } from "../../base/route.js";
import { EmailInput, MarkPrimaryEmailInput, VerifyEmailInput } from "./inputs.js";
import {
  addOrChangeEmail,
  deleteAddress,
  listEmail,
  markPrimary,
  markPrimaryErrorsBesides,
  ownerOrChangingSignup,
  resendVerification,
} from "./manage.js";
import {
  countInvalidCode,
  describeVerification,
  resendVerificationCode,
  verificationInProgress,
  verifyEmail,
} from "./verification.js";

/** Email verification and address management, relative to /{client}/v1. */
export function emailRoutes(): Route[] {
  return [
    route({
      method: "GET",
      path: "/auth/email/verify",
      summary: "Get email verification information",
      gate: verificationInProgress,
      rateLimit: "confirm_code",
      input: VerifyEmailInput,
      inputFromHeaders: { key: "x-email-verification-key" },
      onInvalidInput: countInvalidCode,
      handler: describeVerification,
    }),
    route({
      method: "POST",
      path: "/auth/email/verify",
      summary: "Verify an email",
      gate: verificationInProgress,
      rateLimit: "confirm_code",
      input: VerifyEmailInput,
      onInvalidInput: countInvalidCode,
      handler: verifyEmail,
    }),
    route({
      method: "POST",
      path: "/auth/email/verify/resend",
      summary: "Resend email verification code",
      handler: resendVerificationCode,
    }),
    route({
      method: "GET",
      path: "/account/email",
      summary: "List email addresses",
      gate: authenticated,
      rateLimit: "manage_email",
      handler: listEmail,
    }),
    route({
      method: "POST",
      path: "/account/email",
      summary: "Add/Change email address",
      gate: ownerOrChangingSignup,
      rateLimit: "manage_email",
      input: EmailInput,
      handler: addOrChangeEmail,
    }),
    route({
      method: "PUT",
      path: "/account/email",
      summary: "Request email verification",
      gate: authenticated,
      rateLimit: "manage_email",
      input: EmailInput,
      handler: resendVerification,
    }),
    route({
      method: "PATCH",
      path: "/account/email",
      summary: "Change primary email address",
      gate: authenticated,
      rateLimit: "manage_email",
      input: MarkPrimaryEmailInput,
      onInvalidInput: markPrimaryErrorsBesides,
      handler: markPrimary,
    }),
    route({
      method: "DELETE",
      path: "/account/email",
      summary: "Remove an email address",
      gate: authenticated,
      rateLimit: "manage_email",
      input: EmailInput,
      handler: deleteAddress,
    }),
  ];
}
