import { z } from "zod";
import { signupInput } from "../../account/inputs.js";
import { failsWith, field } from "../../core/input.js";
import type { ResolvedOptions } from "../../options/schema.js";

/**
 * Inputs of the WebAuthn endpoints, shaped like allauth's forms: `credential` is a Django
 * JSONField (a JSON object, or a string holding JSON), ids are model choices.
 */

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === "") return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === "object" && Object.keys(value).length === 0;
}

/** Django JSONField: a string is parsed ("Enter a valid JSON." when it is not JSON); empty values are missing. */
export const credentialField = z.unknown().transform((value, ctx) => {
  let parsed = value;
  if (typeof value === "string" && value !== "") {
    try {
      parsed = JSON.parse(value) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", ...failsWith("invalid.json") });
      return z.NEVER;
    }
  }
  if (isEmpty(parsed)) {
    ctx.addIssue({ code: "custom", ...failsWith("required") });
    return z.NEVER;
  }
  return parsed;
});

/** POST /auth/webauthn/authenticate, /reauthenticate, /login. */
export const CredentialInput = z.object({ credential: credentialField });
export type CredentialInput = z.infer<typeof CredentialInput>;

/** POST /account/authenticators/webauthn and PUT /auth/webauthn/signup: the name is optional (a default is chosen). */
export const AddWebAuthnInput = z.object({ name: field.optionalText(100), credential: credentialField });
export type AddWebAuthnInput = z.infer<typeof AddWebAuthnInput>;

/** A primary key as Django's ModelChoiceField takes it: an integer, or a string of one. */
function toPk(value: unknown): number | null {
  if (typeof value === "number" && Number.isSafeInteger(value)) return value;
  if (typeof value === "string" && /^\s*-?\d{1,15}\s*$/.test(value)) return Number(value.trim());
  return null;
}

/** PUT /account/authenticators/webauthn. Whether `id` is one of the user's keys is checked in the flow. */
export const UpdateWebAuthnInput = z.object({
  id: z.unknown().transform((value, ctx) => {
    if (value === undefined || value === null || value === "") {
      ctx.addIssue({ code: "custom", ...failsWith("required") });
      return z.NEVER;
    }
    const pk = toPk(value);
    if (pk === null) {
      ctx.addIssue({ code: "custom", ...failsWith("invalid_choice.unnamed") });
      return z.NEVER;
    }
    return pk;
  }),
  name: field.text(100),
});
export type UpdateWebAuthnInput = z.infer<typeof UpdateWebAuthnInput>;

/** DELETE /account/authenticators/webauthn: Django ModelMultipleChoiceField (ownership checked in the flow). */
export const DeleteWebAuthnInput = z.object({
  authenticators: z.unknown().transform((value, ctx) => {
    if (isEmpty(value)) {
      ctx.addIssue({ code: "custom", ...failsWith("required") });
      return z.NEVER;
    }
    if (!Array.isArray(value)) {
      ctx.addIssue({ code: "custom", ...failsWith("invalid_list") });
      return z.NEVER;
    }
    const pks: number[] = [];
    for (const item of value) {
      const pk = toPk(item);
      if (pk === null) {
        ctx.addIssue({
          code: "custom",
          ...failsWith("invalid_pk_value", { value: typeof item === "string" ? item : JSON.stringify(item) }),
        });
        return z.NEVER;
      }
      pks.push(pk);
    }
    return pks;
  }),
});
export type DeleteWebAuthnInput = z.infer<typeof DeleteWebAuthnInput>;

/** POST /auth/webauthn/signup: the signup form without its password fields. */
export function passkeySignupInput(o: ResolvedOptions, extra?: z.ZodObject) {
  const signupFields = o.account.signupFields.filter((f) => !f.startsWith("password"));
  return signupInput({ ...o, account: { ...o.account, signupFields } }, extra);
}
