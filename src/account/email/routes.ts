import { z } from "zod";
import { authenticated, type Route, route } from "../../base/route.js";
import { Answers, okAnswer, User } from "../../core/wire-schemas.js";
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
      responses: {
        200: okAnswer(
          "The address the key verifies, and its user; `is_authenticating`: whether verifying it goes on with a login.",
          z.object({ email: z.string(), user: User }),
          z.object({ is_authenticating: z.boolean() }),
        ),
        400: Answers.error,
        409: Answers.conflict,
      },
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
      responses: {
        200: Answers.authenticated,
        400: Answers.error,
        401: Answers.authentication,
        409: Answers.conflict,
      },
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
      responses: {
        200: Answers.statusOK,
        409: Answers.conflict,
        429: Answers.tooManyRequests,
      },
      handler: resendVerificationCode,
    }),
    route({
      method: "GET",
      path: "/account/email",
      summary: "List email addresses",
      responses: { 200: Answers.emailAddresses },
      gate: authenticated,
      rateLimit: "manage_email",
      handler: listEmail,
    }),
    route({
      method: "POST",
      path: "/account/email",
      summary: "Add/Change email address",
      responses: {
        200: Answers.emailAddresses,
        400: Answers.error,
        401: Answers.authenticationOrReauthentication,
        409: Answers.conflict,
        429: Answers.tooManyRequests,
      },
      gate: ownerOrChangingSignup,
      rateLimit: "manage_email",
      input: EmailInput,
      handler: addOrChangeEmail,
    }),
    route({
      method: "PUT",
      path: "/account/email",
      summary: "Request email verification",
      responses: { 200: Answers.statusOK, 400: Answers.error, 403: Answers.forbidden },
      gate: authenticated,
      rateLimit: "manage_email",
      input: EmailInput,
      handler: resendVerification,
    }),
    route({
      method: "PATCH",
      path: "/account/email",
      summary: "Change primary email address",
      responses: { 200: Answers.emailAddresses, 400: Answers.error },
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
      responses: { 200: Answers.emailAddresses, 400: Answers.error },
      gate: authenticated,
      rateLimit: "manage_email",
      input: EmailInput,
      handler: deleteAddress,
    }),
  ];
}
