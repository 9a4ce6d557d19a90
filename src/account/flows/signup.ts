import type { Context } from "../../base/context.js";
import { beginLogin } from "../../base/login.js";
import type { ApiError } from "../../core/errors.js";
import { badRequest, conflict, forbidden, type Result } from "../../core/responses.js";
import type { ResolvedOptions } from "../../options/schema.js";
import type { SignupInput } from "../inputs.js";
import { preventsEnumeration } from "../lookup.js";
import { passwordErrors } from "../passwords/policy.js";
import { parsePhone } from "../phone/numbers.js";
import { signupExtra, sortBySignupField } from "../signup-fields.js";
import { generateUsername, storedUsername, usernameErrors } from "../usernames.js";
import { decoyStage, type SignupIdentifiers, startDecoySignup } from "./decoy.js";

/**
 * allauth `assess_unique_email` for a taken address: with enumeration prevention and mandatory
 * verification the signup is answered as if it worked (the address owner is mailed instead).
 * Otherwise uniqueness wins and the address is `email_taken`: also with "strict" prevention and
 * non-mandatory verification, where allauth would create a second account with the unverified
 * address, which Latchkey's unique index on primary addresses does not allow.
 */
function hidesTakenEmail(o: ResolvedOptions): boolean {
  return o.account.preventEnumeration !== false && o.account.emailVerification === "mandatory";
}

/**
 * allauth's `_clean_phone`, for the account signup form and the provider signup form alike: true
 * when nobody holds the number; for a taken one, null when enumeration prevention answers the
 * signup as if it worked (the number's owner is texted instead), provided a real signup with
 * these identifiers would stop at a stage the decoy can stop at too (see decoyStage); otherwise
 * false (`phone_taken`).
 */
export async function assessUniquePhone(
  ctx: Context,
  ids: SignupIdentifiers & { phone: string },
): Promise<boolean | null> {
  if ((await ctx.rt.phones.ownerOf(ids.phone)) === null) return true;
  return preventsEnumeration(ctx) && decoyStage(ctx, ids) !== null ? null : false;
}

/**
 * The signup form's own checks, field by field (address or number taken, username valid and
 * free, password policy), for the fields that passed the input schema. Fields listed in `skip`
 * already have errors and are not checked again.
 */
async function fieldErrors(
  ctx: Context,
  input: Partial<SignupInput>,
  skip: ReadonlySet<string> = new Set(),
): Promise<{ errors: ApiError[]; accountAlreadyExists: boolean }> {
  const o = ctx.options;
  const errors: ApiError[] = [];
  let accountAlreadyExists = false;
  if (input.email !== undefined && !skip.has("email") && o.account.uniqueEmail) {
    if (await ctx.rt.users.findByEmail(input.email)) {
      if (hidesTakenEmail(o)) accountAlreadyExists = true;
      else errors.push(ctx.error("email_taken", "email"));
    }
  }
  if (input.username !== undefined && !skip.has("username")) {
    errors.push(...(await usernameErrors(ctx, input.username)));
  }
  if (input.phone !== undefined && !skip.has("phone")) {
    const assessment = await assessUniquePhone(ctx, { email: input.email, phone: input.phone });
    if (assessment === null) accountAlreadyExists = true;
    else if (!assessment) errors.push(ctx.error("phone_taken", "phone"));
  }
  if (input.password !== undefined && !skip.has("password")) {
    const user = { username: input.username, email: input.email };
    errors.push(...(await passwordErrors(ctx.rt, input.password, user, "password")));
  }
  return { errors: sortBySignupField(errors, o.account.signupFields), accountAlreadyExists };
}

/**
 * For an input that failed its schema: the other fields' errors too, as Django's form reports
 * every field (an invalid email and a weak password give both errors).
 */
export async function signupErrorsBesides(
  ctx: Context,
  body: Record<string, unknown>,
  schemaErrors: ApiError[],
): Promise<ApiError[]> {
  const skip = new Set(schemaErrors.map((e) => e.param ?? ""));
  const { errors } = await fieldErrors(ctx, fieldsPassingSchema(ctx, body, skip), skip);
  return sortBySignupField([...schemaErrors, ...errors], ctx.options.account.signupFields);
}

/**
 * What a signup schema made of the fields it let through (those not in `skip`): stripped text,
 * lowercased addresses, numbers in E.164 form. For checking the rest of a form that failed its
 * schema, in the account signup and the provider signup.
 */
export function fieldsPassingSchema(
  ctx: Context,
  body: Record<string, unknown>,
  skip: ReadonlySet<string>,
): Partial<SignupInput> {
  const text = (name: string) => {
    const value = body[name];
    return typeof value === "string" && value.trim() !== "" && !skip.has(name) ? value : undefined;
  };
  const typedPhone = text("phone");
  const phone =
    typedPhone === undefined
      ? undefined
      : (parsePhone(typedPhone, ctx.options.account.phoneDefaultRegion) ?? undefined);
  return {
    email: text("email")?.trim().toLowerCase(),
    username: text("username")?.trim(),
    password: text("password"),
    phone,
  };
}

/**
 * POST /auth/signup. Validation first (field by field, in the form's order), then the password
 * is hashed *before* the write transaction opens (hashing inside one would hold the database
 * for the whole hash), then user and address are inserted together; the database's unique
 * indexes settle races between concurrent signups. The number, if any, is stored unverified
 * (several accounts may claim one until one of them verifies it).
 *
 * A taken address or number under enumeration prevention (see hidesTakenEmail, assessUniquePhone)
 * takes the decoy path after the same validation and the same password hash, so the answer (401,
 * its stage pending) and its cost are those of a real signup.
 */
export async function signup(
  ctx: Context,
  input: SignupInput,
  via: "form" | "passkey" = "form",
): Promise<Result> {
  if (ctx.user) return conflict();
  const o = ctx.options;
  if (!o.account.isOpenForSignup) return forbidden();
  const attempt = { via, email: input.email, phone: input.phone };
  if (!(await ctx.mayOpenSignup(withoutUndefined(attempt)))) return forbidden();
  const { errors, accountAlreadyExists } = await fieldErrors(ctx, input);
  if (errors.length > 0) return badRequest(errors);

  const passwordHash = input.password !== undefined ? await ctx.rt.hasher.hash(input.password) : null;
  const username =
    input.username !== undefined
      ? storedUsername(o, input.username)
      : await generateUsername(ctx.rt.users, o, input.email);
  if (accountAlreadyExists) return startDecoySignup(ctx, input);
  const created = await ctx.rt.users.create({
    username,
    password: passwordHash,
    ...(input.email !== undefined ? { email: { address: input.email, verified: false } } : {}),
    extra: signupExtra(input, ctx.rt.adapter.signupFields),
    now: ctx.now(),
  });
  if ("conflict" in created) {
    // Lost a race with a concurrent signup: answer as if the earlier check had seen it.
    if (created.conflict === "username") return ctx.invalid("username_taken", "username");
    if (input.email !== undefined && hidesTakenEmail(o)) return startDecoySignup(ctx, input);
    return ctx.invalid("email_taken", "email");
  }
  if (input.phone !== undefined) await ctx.rt.phones.set(created.id, input.phone, false);
  const user = (await ctx.rt.users.findById(created.id))!;
  await ctx.emit("signup", user, { via });
  return beginLogin(ctx, user, null, { signup: true, ...(input.email ? { email: input.email } : {}) });
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
