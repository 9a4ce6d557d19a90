import { type ApiError, apiError } from "../../core/errors.js";
import type { ResolvedOptions } from "../../options/schema.js";
import { type BreachLookupLogger, isBreachedPassword } from "./breached.js";
import { validatePassword } from "./validators.js";

const BREACHED_MESSAGE = "This password has appeared in a data breach and cannot be used.";

/**
 * The password policy's problems as envelope errors on `param`: Django's validators in their
 * order, then the breached-password lookup when `password.breached` is on (a lookup that fails
 * lets the password through and warns on `logger`).
 */
export async function passwordErrors(
  o: ResolvedOptions,
  password: string,
  user: { username?: string | null; email?: string | null },
  param: string,
  logger: BreachLookupLogger,
): Promise<ApiError[]> {
  const breached = o.password.breached;
  const [problems, isBreached] = await Promise.all([
    validatePassword(password, o.password, user),
    breached.enabled && isBreachedPassword(password, breached, logger),
  ]);
  const errors = problems.map((p) => apiError(p.code, p.message, param));
  if (isBreached) errors.push(apiError("password_breached", BREACHED_MESSAGE, param));
  return errors;
}
