import { type ApiError, apiError } from "../../core/errors.js";
import type { ResolvedOptions } from "../../options/schema.js";
import { validatePassword } from "./validators.js";

/** The password policy's problems as envelope errors on `param`. */
export async function passwordErrors(
  o: ResolvedOptions,
  password: string,
  user: { username?: string | null; email?: string | null },
  param: string,
): Promise<ApiError[]> {
  const problems = await validatePassword(password, o.password, user);
  return problems.map((p) => apiError(p.code, p.message, param));
}
