import { z } from "zod";
import type { ApiError } from "../core/errors.js";
import type { UserExtra } from "../store/session-users.js";

/**
 * Your extra signup fields (createLatchkey's signupFields) beside the form's own: validated with
 * them, stored with the user, shown in its user object. A name the form or the user object uses
 * already would be ambiguous on the wire, so it is refused when the server is made.
 */
const TAKEN_NAMES = new Set([
  "id",
  "display",
  "email",
  "email2",
  "username",
  "has_usable_password",
  "password",
  "password1",
  "password2",
  "phone",
  "phone_verified",
]);

/** The signup schema with your extra fields added (its own fields win nothing: names may not clash). */
export function withSignupFields(
  shape: Record<string, z.ZodType>,
  extra: z.ZodObject | undefined,
): Record<string, z.ZodType> {
  if (!extra) return shape;
  for (const name of Object.keys(extra.shape)) {
    if (TAKEN_NAMES.has(name) || name in shape) {
      throw new TypeError(
        `signupFields: "${name}" is a field of the signup form or the user object; name yours otherwise`,
      );
    }
  }
  return { ...shape, ...extra.shape };
}

/** The extra fields of a valid signup input. */
export function signupExtra(input: Record<string, unknown>, extra: z.ZodObject | undefined): UserExtra {
  if (!extra) return {};
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(extra.shape)) {
    if (input[name] !== undefined) out[name] = input[name];
  }
  return out;
}

/** Whether a signup without a form (a provider's automatic signup) would lack a required extra field. */
export async function needsSignupForm(extra: z.ZodObject | undefined): Promise<boolean> {
  return extra !== undefined && !(await z.object(extra.shape).safeParseAsync({})).success;
}

/** Errors in the signup form's field order (account.signupFields; `password1` is `password`), as Django lists them. */
export function sortBySignupField(errors: ApiError[], signupFields: readonly string[]): ApiError[] {
  const order = signupFields.map((f) => {
    const name = f.replace("*", "");
    return name === "password1" ? "password" : name;
  });
  const rank = (e: ApiError) => {
    const i = e.param === undefined ? -1 : order.indexOf(e.param);
    return i === -1 ? order.length : i;
  };
  return errors
    .map((e, i) => ({ e, i }))
    .sort((a, b) => rank(a.e) - rank(b.e) || a.i - b.i)
    .map(({ e }) => e);
}
