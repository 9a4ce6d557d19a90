import { z } from "zod";
import { failsWith, field } from "../../core/input.js";

/** Inputs of the email endpoints, named as allauth's headless inputs. */

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
  .refine((v) => v, failsWith("required"));

/** PATCH /account/email: `primary` must be true. */
export const MarkPrimaryEmailInput = z.object({ email: field.email(), primary: requiredTrue });
export type MarkPrimaryEmailInput = z.infer<typeof MarkPrimaryEmailInput>;
