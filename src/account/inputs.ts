import { z } from "zod";
import { field } from "../core/input.js";
import { signupFieldSet } from "../options/resolve.js";
import type { ResolvedOptions } from "../options/schema.js";

/**
 * The input schemas of the account area, named as allauth's headless inputs. Each is built
 * from the options (which login methods and signup fields exist); the exported constants are
 * the most permissive form, for typing and validating your own calls.
 */

const invalidLogin = { message: "Invalid login.", params: { code: "invalid_login" } } as const;

/** POST /auth/login: `password` and exactly one identifier among the configured login methods. */
export function loginInput(o: ResolvedOptions) {
  const methods = o.account.loginMethods;
  const only = methods.length === 1;
  const shape: Record<string, z.ZodType> = {};
  if (methods.includes("username")) shape.username = only ? field.text() : field.optionalText();
  if (methods.includes("email")) shape.email = only ? field.email() : field.email().optional();
  shape.password = field.password();
  return z
    .object(shape)
    .refine(
      (v) => methods.filter((m) => (v as Record<string, unknown>)[m] !== undefined).length === 1,
      invalidLogin,
    ) as unknown as z.ZodType<LoginInput>;
}
export const LoginInput = z
  .object({ username: field.optionalText(), email: field.email().optional(), password: field.password() })
  .refine((v) => (v.username === undefined) !== (v.email === undefined), invalidLogin);
export type LoginInput = z.infer<typeof LoginInput>;

/** POST /auth/signup: the fields of account.signupFields, in that order (`password1` is `password`). */
export function signupInput(o: ResolvedOptions) {
  const fields = signupFieldSet(o.account.signupFields);
  const shape: Record<string, z.ZodType> = {};
  for (const [name, required] of fields) {
    if (name === "email") shape.email = required ? field.email() : field.email().optional();
    if (name === "email2") shape.email2 = required ? field.email() : field.email().optional();
    if (name === "username") shape.username = required ? field.text(150) : field.optionalText(150);
    if (name === "password1") shape.password = required ? field.password() : field.optionalPassword();
  }
  let schema: z.ZodType = z.object(shape);
  if (fields.has("email2")) {
    schema = (schema as z.ZodObject).refine(
      (v) => (v as { email?: string }).email === (v as { email2?: string }).email2,
      {
        message: "You must type the same email each time.",
        path: ["email2"],
        params: { code: "email_mismatch" },
      },
    );
  }
  return schema as z.ZodType<SignupInput>;
}
export const SignupInput = z.object({
  email: field.email().optional(),
  email2: field.email().optional(),
  username: field.optionalText(150),
  password: field.optionalPassword(),
});
export type SignupInput = z.infer<typeof SignupInput>;

/** POST /auth/reauthenticate. */
export const ReauthenticateInput = z.object({ password: field.password() });
export type ReauthenticateInput = z.infer<typeof ReauthenticateInput>;

/** POST /account/password/change: `current_password` is required iff the user has a usable password (checked in the flow). */
export const ChangePasswordInput = z.object({
  current_password: field.optionalPassword(),
  new_password: field.password(),
});
export type ChangePasswordInput = z.infer<typeof ChangePasswordInput>;
