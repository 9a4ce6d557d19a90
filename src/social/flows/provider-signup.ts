import { assessUniquePhone, fieldsPassingSchema } from "../../account/flows/signup.js";
import { signupExtra, sortBySignupField } from "../../account/signup-fields.js";
import { usernameErrors } from "../../account/usernames.js";
import type { Context } from "../../base/context.js";
import type { Gate } from "../../base/route.js";
import type { ApiError } from "../../core/errors.js";
import { badRequest, conflict, forbidden, ok, type Result } from "../../core/responses.js";
import type { User } from "../../core/wire.js";
import type { ProviderSignupInput } from "../inputs.js";
import { isOpenForSignup } from "../options.js";
import { providerInfo } from "../serialize.js";
import { accountDisplay, type SocialLogin } from "../sociallogin.js";
import { assessUniqueEmail, pendingSignup, signUpByForm } from "./signup.js";

/**
 * GET and POST /auth/provider/signup (allauth ProviderSignupView): a provider signup must be
 * pending (else 409) and signups open (else 403), both checked before the input is read.
 */
export const signupPending: Gate = {
  kind: "custom",
  anonymous: 409,
  async check(ctx) {
    if (!pendingSignup(ctx)) return conflict();
    return isOpenForSignup(ctx.options) ? null : forbidden();
  },
};

/** The user a pending signup would create, as allauth serialises an unsaved user (no id, no email). */
function pendingUser(login: SocialLogin): Omit<User, "id"> {
  return {
    display: login.username ?? "user",
    has_usable_password: false,
    ...(login.username ? { username: login.username } : {}),
  };
}

/** GET: what the provider gave so far (allauth SocialLoginResponse). */
export async function describeSignup(ctx: Context): Promise<Result> {
  const login = pendingSignup(ctx)!;
  return ok({
    user: pendingUser(login),
    account: {
      uid: login.uid,
      provider: providerInfo(login.provider),
      display: accountDisplay(login.provider, login.extraData),
    },
    email: login.emails.map((e) => ({ email: e.email, verified: e.verified, primary: e.primary })),
  });
}

/**
 * The social signup form's own checks (allauth SignupForm): a taken address is `email_taken` in
 * the social wording unless enumeration prevention hides it (then the decoy answers, see
 * signUpByForm); the username and the number are checked as the account signup checks them.
 * Fields listed in `skip` already have errors.
 */
async function fieldErrors(
  ctx: Context,
  login: SocialLogin,
  input: Partial<ProviderSignupInput>,
  skip: ReadonlySet<string> = new Set(),
): Promise<{ errors: ApiError[]; accountAlreadyExists: boolean }> {
  const errors: ApiError[] = [];
  let accountAlreadyExists = false;
  if (input.email !== undefined && !skip.has("email")) {
    const assessment = await assessUniqueEmail(ctx, input.email);
    if (assessment === null) accountAlreadyExists = true;
    else if (!assessment)
      errors.push(ctx.error("email_taken.provider", "email", { provider: login.provider.name }));
  }
  if (input.username !== undefined && !skip.has("username"))
    errors.push(...(await usernameErrors(ctx, input.username)));
  if (input.phone !== undefined && !skip.has("phone")) {
    const assessment = await assessUniquePhone(ctx, { email: input.email, phone: input.phone });
    if (assessment === null) accountAlreadyExists = true;
    else if (!assessment) errors.push(ctx.error("phone_taken", "phone"));
  }
  return { errors: sortBySignupField(errors, ctx.options.account.signupFields), accountAlreadyExists };
}

/** For an input that failed its schema: the other fields' errors too, as Django reports every field's. */
export async function signupErrorsBesides(
  ctx: Context,
  body: Record<string, unknown>,
  schemaErrors: ApiError[],
): Promise<ApiError[]> {
  const skip = new Set(schemaErrors.map((e) => e.param ?? ""));
  const { email, username, phone } = fieldsPassingSchema(ctx, body, skip);
  const { errors } = await fieldErrors(ctx, pendingSignup(ctx)!, { email, username, phone }, skip);
  return sortBySignupField([...schemaErrors, ...errors], ctx.options.account.signupFields);
}

/** POST: the signup completes with the user's input; the new user logs in (the stages run). */
export async function submitSignup(ctx: Context, input: ProviderSignupInput): Promise<Result> {
  const login = pendingSignup(ctx)!;
  const { errors, accountAlreadyExists } = await fieldErrors(ctx, login, input);
  if (errors.length > 0) return badRequest(errors);
  return signUpByForm(ctx, login, {
    ...(input.email !== undefined ? { email: input.email } : {}),
    ...(input.username !== undefined ? { username: input.username } : {}),
    ...(input.phone !== undefined ? { phone: input.phone } : {}),
    extra: signupExtra(input, ctx.rt.adapter.signupFields),
    accountAlreadyExists,
  });
}
