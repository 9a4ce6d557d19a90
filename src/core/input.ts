import { z } from "zod";
import { type ApiError, apiError, type ErrorCode, messages } from "./errors.js";

/**
 * Input fields shaped like Django form fields, so validation errors come out with allauth's
 * codes and messages: a missing, null or blank field is `required`; strings are stripped
 * (passwords are not); a wrong JSON type is `invalid`.
 */
export const field = {
  /** A required CharField. */
  text: (max?: number) => blankIsMissing(max === undefined ? z.string().trim() : z.string().trim().max(max)),
  /** An optional CharField: blank becomes undefined. */
  optionalText: (max?: number) =>
    blankIsMissing(max === undefined ? z.string().trim() : z.string().trim().max(max)).optional(),
  /** A required EmailField, lowercased as allauth stores addresses. */
  email: () =>
    blankIsMissing(
      z
        .string()
        .trim()
        .max(254)
        .pipe(z.email({ error: messages.invalid_email }))
        .transform((v) => v.toLowerCase()),
    ),
  /** A required password field (not stripped). */
  password: () => blankIsMissing(z.string().max(4096)),
  optionalPassword: () => blankIsMissing(z.string().max(4096)).optional(),
  boolean: () => z.boolean(),
};

/** Django treats "" and null like an absent field. */
function blankIsMissing<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (v === "" || v === null ? undefined : v), schema);
}

export type InputResult<T> = { ok: true; value: T } | { ok: false; errors: ApiError[] };

/** Validates a parsed JSON body against an input schema, giving allauth-shaped errors. */
export function parseInput<T>(schema: z.ZodType<T>, body: Record<string, unknown>): InputResult<T> {
  const result = schema.safeParse(body);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, errors: toApiErrors(result.error.issues, body) };
}

function toApiErrors(issues: readonly z.core.$ZodIssue[], body: Record<string, unknown>): ApiError[] {
  const errors: ApiError[] = [];
  for (const issue of issues) {
    const param = issue.path.length > 0 ? String(issue.path[0]) : undefined;
    errors.push(toApiError(issue, param, body));
  }
  return errors;
}

function toApiError(
  issue: z.core.$ZodIssue,
  param: string | undefined,
  body: Record<string, unknown>,
): ApiError {
  switch (issue.code) {
    case "invalid_type":
      if (
        param !== undefined &&
        issue.path.length === 1 &&
        (body[param] === undefined || body[param] === null || body[param] === "")
      ) {
        return apiError("required", messages.required, param);
      }
      return apiError("invalid", "Enter a valid value.", param);
    case "too_big":
      if (issue.origin === "string") {
        return apiError(
          "max_length",
          `Ensure this value has at most ${issue.maximum} characters (it has ${String((body[param ?? ""] as string | undefined)?.length ?? "more")}).`,
          param,
        );
      }
      return apiError("invalid", issue.message, param);
    case "too_small":
      if (issue.origin === "string") return apiError("required", messages.required, param);
      return apiError("invalid", issue.message, param);
    case "invalid_format":
      return apiError(
        "invalid",
        issue.format === "email" ? messages.invalid_email : "Enter a valid value.",
        param,
      );
    case "invalid_value":
      return apiError("invalid_choice", "Select a valid choice.", param);
    case "custom": {
      const code = (issue.params as { code?: ErrorCode } | undefined)?.code ?? "invalid";
      return apiError(code, issue.message, param);
    }
    default:
      return apiError("invalid", "Enter a valid value.", param);
  }
}
