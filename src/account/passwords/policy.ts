import type { ApiError, Messages } from "../../core/errors.js";
import { apiError } from "../../core/errors.js";
import type { ResolvedOptions } from "../../options/schema.js";
import { type BreachLookupLogger, isBreachedPassword } from "./breached.js";
import { validatePassword } from "./validators.js";

/** What the policy reads: the options, the message table, and where failed lookups are logged. */
export interface PasswordPolicyDeps {
  options: ResolvedOptions;
  messages: Messages;
  logger: BreachLookupLogger;
}

/**
 * The password policy's problems as envelope errors on `param`: Django's validators in their
 * order, then the breached-password lookup when `password.breached` is on (a lookup that fails
 * lets the password through and warns on the logger).
 */
export async function passwordErrors(
  deps: PasswordPolicyDeps,
  password: string,
  user: { username?: string | null; email?: string | null },
  param: string,
): Promise<ApiError[]> {
  const o = deps.options;
  const breached = o.password.breached;
  const [problems, isBreached] = await Promise.all([
    validatePassword(password, o.password, user, deps.messages),
    breached.enabled && isBreachedPassword(password, breached, deps.logger),
  ]);
  const errors: ApiError[] = problems.map((p) => ({ message: p.message, code: p.code, param }));
  if (isBreached) errors.push(apiError(deps.messages, "password_breached", param));
  return errors;
}
