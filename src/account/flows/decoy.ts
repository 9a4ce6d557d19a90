import { unauthenticated } from "../../base/auth.js";
import type { Context } from "../../base/context.js";
import { abortLogin } from "../../base/pending.js";
import { Flow } from "../../core/enums.js";
import type { Result } from "../../core/responses.js";
import { SessionKey } from "../../sessions/keys.js";
import type { PendingLogin } from "../../sessions/session.js";
import { EMAIL_VERIFICATION_KIND } from "../email/keys.js";
import { persistProcess, startEmailVerification } from "../email/process.js";
import { mailAccountAlreadyExists, mailProcessCode, mayMailVerification } from "../email/send.js";
import { isLoginByCodeRequired, startLoginCode } from "../login-by-code/stage.js";
import { isPhoneNumber } from "../phone/numbers.js";
import { startStageVerification } from "../phone/process.js";
import { textAccountAlreadyExists } from "../phone/send.js";

/** What a signup identifies its account by: the address and the number it gave. */
export interface SignupIdentifiers {
  email?: string | undefined;
  phone?: string | undefined;
}

/**
 * The decoy login of a signup with a taken address or number names no user: 0 is never a user
 * id (ids start at 1), and nothing the decoy allows ever loads it.
 */
const NO_USER = 0;

function decoyLogin(ctx: Context, ids: SignupIdentifiers): PendingLogin {
  return {
    userId: NO_USER,
    records: [],
    stage: null,
    done: [],
    startedAt: ctx.now(),
    signup: true,
    ...(ids.email !== undefined ? { email: ids.email } : {}),
    state: {},
  };
}

/**
 * The stage a real signup with these identifiers would stop at first, in the pipeline's order
 * (login_by_code when required, verify_phone for a number, verify_email for an address under
 * mandatory verification); null when it would log straight in, which a decoy cannot fake.
 */
export function decoyStage(ctx: Context, ids: SignupIdentifiers): Flow | null {
  const a = ctx.options.account;
  const recipient = ids.email ?? ids.phone;
  if (recipient !== undefined && isLoginByCodeRequired(ctx, decoyLogin(ctx, ids))) return Flow.LOGIN_BY_CODE;
  if (ids.phone !== undefined && a.phoneVerification.enabled) return Flow.VERIFY_PHONE;
  if (ids.email !== undefined && a.emailVerification === "mandatory") return Flow.VERIFY_EMAIL;
  return null;
}

/** allauth `send_account_already_exists_mail` / `_sms`, to wherever the decoy's code would go. */
async function tellAccountExists(ctx: Context, recipient: string): Promise<void> {
  if (isPhoneNumber(recipient)) await textAccountAlreadyExists(ctx, recipient);
  else await mailAccountAlreadyExists(ctx, recipient);
}

/**
 * allauth `prevent_enumeration` for a signup with a taken address or number: no account is
 * created, and the session holds a login stopped where a real signup's would (see decoyStage),
 * whose stage nothing can complete; where its code, verification mail or link would go, the owner
 * is told that the account already exists instead. The same writes and messages happen as for a
 * real signup, so neither answer nor cost differs; a message a real signup's stage could not
 * send (its rate limit) ends the decoy's login as it ends the real one's (401, nothing pending).
 * Callers make sure decoyStage has a stage for the identifiers (an address under mandatory
 * verification always has one).
 */
export async function startDecoySignup(ctx: Context, ids: SignupIdentifiers): Promise<Result> {
  const login = decoyLogin(ctx, ids);
  ctx.session.set(SessionKey.LOGIN, login);
  const stage = decoyStage(ctx, ids);
  if (stage === Flow.LOGIN_BY_CODE) {
    const recipient = (ids.email ?? ids.phone)!;
    login.stage = Flow.LOGIN_BY_CODE;
    await startLoginCode(ctx, login, recipient, true);
    await tellAccountExists(ctx, recipient);
    return unauthenticated(ctx);
  }
  if (stage === Flow.VERIFY_PHONE) {
    login.stage = Flow.VERIFY_PHONE;
    const started = await startStageVerification(ctx, login, {
      userId: null,
      phone: ids.phone!,
      accountAlreadyExists: true,
    });
    if (!started) abortLogin(ctx);
    return unauthenticated(ctx);
  }
  const email = ids.email!;
  login.stage = Flow.VERIFY_EMAIL;
  if (ctx.options.account.emailVerificationByCode.enabled) {
    if (!(await mayMailVerification(ctx, email))) {
      abortLogin(ctx);
      return unauthenticated(ctx);
    }
    const { process, code } = await startEmailVerification(ctx, {
      email,
      userId: null,
      accountAlreadyExists: true,
    });
    await mailProcessCode(ctx, process, code);
    persistProcess(ctx, process);
  } else {
    await ctx.rt.keys.issueDecoy(EMAIL_VERIFICATION_KIND, ctx.now());
    if (await mayMailVerification(ctx, email)) await mailAccountAlreadyExists(ctx, email);
  }
  return unauthenticated(ctx);
}
