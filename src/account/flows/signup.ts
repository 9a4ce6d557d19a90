import { type ApiError, apiError, messages } from "../../core/errors.js";
import { badRequest, conflict, forbidden, type Result } from "../../core/responses.js";
import type { Context } from "../../http/context.js";
import type { ResolvedOptions } from "../../options/schema.js";
import { isUniqueViolation } from "../../store/database.js";
import { startDecoyVerification } from "../email/stage.js";
import type { SignupInput } from "../inputs.js";
import { passwordErrors } from "../passwords/policy.js";
import { generateUsername, storedUsername, usernameErrors } from "../usernames.js";
import { emailIsTaken, findUserById, usernameIsTaken } from "../users.js";
import { beginLogin } from "./login.js";

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
 * POST /auth/signup. Validation first (field by field, in the form's order), then the password
 * is hashed *before* the write transaction opens (hashing inside one would hold the database
 * for the whole hash), then user and address are inserted together; the database's unique
 * indexes settle races between concurrent signups.
 *
 * A taken address under enumeration prevention (see hidesTakenEmail) takes the decoy path after
 * the same validation and the same password hash, so the answer (401, verify_email pending) and
 * its cost are those of a real signup.
 */
export async function signup(ctx: Context, input: SignupInput): Promise<Result> {
  if (ctx.user) return conflict();
  const o = ctx.options;
  if (!o.account.isOpenForSignup) return forbidden();
  const db = ctx.db;

  const errors: ApiError[] = [];
  let accountAlreadyExists = false;
  if (input.email !== undefined && o.account.uniqueEmail && (await emailIsTaken(db, input.email))) {
    if (hidesTakenEmail(o)) accountAlreadyExists = true;
    else errors.push(apiError("email_taken", messages.email_taken, "email"));
  }
  if (input.username !== undefined) errors.push(...(await usernameErrors(db, o, input.username)));
  if (input.password !== undefined) {
    errors.push(
      ...(await passwordErrors(
        o,
        input.password,
        { username: input.username, email: input.email },
        "password",
        ctx.rt.logger,
      )),
    );
  }
  if (errors.length > 0) return badRequest(sortByField(errors, o.account.signupFields));

  const passwordHash = input.password !== undefined ? await ctx.rt.hasher.hash(input.password) : null;
  const username =
    input.username !== undefined
      ? storedUsername(o, input.username)
      : await generateUsername(db, o, input.email);
  if (accountAlreadyExists) return startDecoyVerification(ctx, input.email!);
  const now = ctx.now();
  let userId: number;
  try {
    userId = await db.transaction().execute(async (trx) => {
      const user = await trx
        .insertInto("user")
        .values({
          username,
          username_lower: username.toLowerCase(),
          password: passwordHash,
          date_joined: now,
          last_login: null,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      if (input.email !== undefined) {
        await trx
          .insertInto("email_address")
          .values({
            user_id: user.id,
            email: input.email,
            email_lower: input.email,
            verified: 0,
            is_primary: 1,
          })
          .execute();
      }
      return user.id;
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    // Lost a race with a concurrent signup: answer as if the earlier check had seen it.
    if (input.username !== undefined && (await usernameIsTaken(db, username))) {
      return badRequest([apiError("username_taken", messages.username_taken, "username")]);
    }
    if (input.email !== undefined && hidesTakenEmail(o)) return startDecoyVerification(ctx, input.email);
    return badRequest([apiError("email_taken", messages.email_taken, "email")]);
  }
  const user = (await findUserById(db, userId))!;
  return beginLogin(ctx, user, null, { signup: true, ...(input.email ? { email: input.email } : {}) });
}

/** Errors in the form's field order (signupFields), as Django lists them. */
function sortByField(errors: ApiError[], signupFields: readonly string[]): ApiError[] {
  const order = signupFields.map((f) => {
    const name = f.replace("*", "");
    return name === "password1" ? "password" : name;
  });
  const rank = (e: ApiError) => (e.param === undefined ? order.length : order.indexOf(e.param));
  return errors
    .map((e, i) => ({ e, i }))
    .sort((a, b) => rank(a.e) - rank(b.e) || a.i - b.i)
    .map(({ e }) => e);
}
