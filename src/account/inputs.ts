import { z } from "zod";
import { field, formCheck } from "../core/input.js";
import type { ResolvedOptions } from "../options/schema.js";
import { signupFieldSet } from "./options.js";
import { optionalE164Phone, optionalPhoneField, phoneField } from "./phone/inputs.js";
import { withSignupFields } from "./signup-fields.js";

/**
 * The input schemas of the account area, named as allauth's headless inputs. Each is built
 * from the options (which login methods and signup fields exist); the exported constants are
 * the most permissive form, for typing and validating your own calls.
 */

const invalidLogin = formCheck("invalid_login");

/** POST /auth/login: `password` and exactly one identifier among the configured login methods. */
export function loginInput(o: ResolvedOptions) {
  const methods = o.account.loginMethods;
  const only = methods.length === 1;
  const shape: Record<string, z.ZodType> = {};
  if (methods.includes("username")) shape.username = only ? field.text() : field.optionalText();
  if (methods.includes("email")) shape.email = only ? field.email() : field.optionalEmail();
  if (methods.includes("phone")) shape.phone = only ? phoneField(o) : optionalPhoneField(o);
  shape.password = field.password();
  return z
    .object(shape)
    .refine(
      (v) => methods.filter((m) => (v as Record<string, unknown>)[m] !== undefined).length === 1,
      invalidLogin,
    ) as unknown as z.ZodType<LoginInput>;
}
export const LoginInput = z
  .object({
    username: field.optionalText(),
    email: field.optionalEmail(),
    phone: optionalE164Phone(),
    password: field.password(),
  })
  .refine((v) => [v.username, v.email, v.phone].filter((x) => x !== undefined).length === 1, invalidLogin);
export type LoginInput = z.infer<typeof LoginInput>;

/**
 * POST /auth/signup: the fields of account.signupFields, in that order (`password1` is
 * `password`), and your extra fields (createLatchkey's signupFields).
 */
export function signupInput(o: ResolvedOptions, extra?: z.ZodObject) {
  const fields = signupFieldSet(o.account.signupFields);
  const shape: Record<string, z.ZodType> = {};
  for (const [name, required] of fields) {
    if (name === "email") shape.email = required ? field.email() : field.optionalEmail();
    if (name === "email2") shape.email2 = required ? field.email() : field.optionalEmail();
    if (name === "username") shape.username = required ? field.text(150) : field.optionalText(150);
    if (name === "password1") shape.password = required ? field.password() : field.optionalPassword();
    if (name === "phone") shape.phone = required ? phoneField(o) : optionalPhoneField(o);
  }
  return withEmailConfirmation(
    z.object(withSignupFields(shape, extra)),
    fields.has("email2"),
  ) as z.ZodType<SignupInput>;
}

/** A signup form with `email2`: both addresses must match (allauth `email_mismatch`, on `email2`). */
export function withEmailConfirmation(form: z.ZodObject, asked: boolean): z.ZodType {
  if (!asked) return form;
  return form.refine(
    (v) => {
      const { email, email2 } = v as { email?: string; email2?: string };
      return email === undefined || email2 === undefined || email === email2;
    },
    formCheck("email_mismatch", { path: ["email2"], dependsOn: ["email", "email2"] }),
  );
}
export const SignupInput = z.object({
  email: field.optionalEmail(),
  email2: field.optionalEmail(),
  username: field.optionalText(150),
  password: field.optionalPassword(),
  phone: optionalE164Phone(),
});
export type SignupInput = z.infer<typeof SignupInput>;

/** POST /auth/reauthenticate. */
export const ReauthenticateInput = z.object({ password: field.password() });
export type ReauthenticateInput = z.infer<typeof ReauthenticateInput>;

/** POST /account/password/change: `current_password` is required iff the user has a usable password (checked in the flow). */
export const ChangePasswordInput = z.object({
  current_password: field.optionalPassword(),
  new_password: field.optionalPassword(),
});
export type ChangePasswordInput = z.infer<typeof ChangePasswordInput>;
