import { z } from "zod";
import { messages } from "../../core/errors.js";
import { field } from "../../core/input.js";

/**
 * Inputs of the email area, named as allauth's headless inputs. They are validated inside the
 * handlers rather than by the route: allauth answers 401/409 (and counts rate limits) before it
 * looks at the body of these endpoints, and in code mode a bad body is a failed attempt.
 */

/** POST /auth/email/verify (and the X-Email-Verification-Key header of GET): a link key or a code. */
export const VerifyEmailInput = z.object({ key: field.text() });
export type VerifyEmailInput = z.infer<typeof VerifyEmailInput>;

/** POST, PUT and DELETE /account/email. */
export const EmailInput = z.object({ email: field.email() });
export type EmailInput = z.infer<typeof EmailInput>;

/**
 * Django's required BooleanField: "false", "0", "" and falsy values are missing (`required`),
 * anything else is true.
 */
const requiredTrue = z
  .unknown()
  .transform((v) => (typeof v === "string" ? !["false", "0", ""].includes(v.toLowerCase()) : Boolean(v)))
  .refine((v) => v, { message: messages.required, params: { code: "required" } });

/** PATCH /account/email: `primary` must be true. */
export const MarkPrimaryEmailInput = z.object({ email: field.email(), primary: requiredTrue });
export type MarkPrimaryEmailInput = z.infer<typeof MarkPrimaryEmailInput>;
