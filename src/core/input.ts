import { z } from "zod";
import { isValidEmail } from "./email.js";
import { type ApiError, apiError, type ErrorCode, messages } from "./errors.js";

/**
 * Input fields shaped like Django form fields, so validation errors come out with allauth's
 * codes and messages: a missing, null or blank field is `required`; strings are stripped
 * (passwords are not); a wrong JSON type is `invalid`.
 */
export const field = {
  /** A required CharField: blank after stripping is `required`. */
  text: (max?: number) => blankIsMissing(stripped(max).pipe(z.string().min(1))),
  /** An optional CharField: blank (after stripping) becomes undefined. */
  optionalText: (max?: number) => optional(stripped(max).transform((v) => (v === "" ? undefined : v))),
  /** A required EmailField, lowercased as allauth stores addresses. */
  email: () => blankIsMissing(emailSchema()),
  /** An optional EmailField: blank becomes undefined. */
  optionalEmail: () =>
    optional(
      z
        .string()
        .trim()
        .transform((v) => (v === "" ? undefined : v))
        .pipe(emailSchema().optional()),
    ),
  /** A required password field (not stripped). */
  password: () => blankIsMissing(passwordSchema()),
  optionalPassword: () => optional(passwordSchema()),
  boolean: () => z.boolean(),
};

/**
 * Django's CharField refuses NUL (ProhibitNullCharactersValidator); PostgreSQL cannot store it
 * in text either, so it must never get past the input.
 */
const noNullCharacters = [
  (v: string) => !v.includes("\u0000"),
  { message: messages.null_characters_not_allowed, params: { code: "null_characters_not_allowed" } },
] as const;

function stripped(max?: number) {
  return (max === undefined ? z.string().trim() : z.string().trim().max(max)).refine(...noNullCharacters);
}

function passwordSchema() {
  return z
    .string()
    .max(4096)
    .refine(...noNullCharacters);
}

function emailSchema() {
  return z
    .string()
    .trim()
    .min(1, { abort: true })
    .refine(...noNullCharacters)
    .max(254)
    .refine(isValidEmail, { message: messages.invalid_email, params: { code: "invalid" } })
    .transform((v) => v.toLowerCase());
}

/** Django treats "" and null like an absent field. */
function blankIsMissing<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (v === "" || v === null ? undefined : v), schema);
}

/**
 * A field that may be left out, sent as null or sent blank: all of those are undefined. (A bare
 * `.optional()` outside `blankIsMissing` would let null reach the inner schema and fail as `required`.)
 */
function optional<T extends z.ZodType>(schema: T) {
  return blankIsMissing(schema.optional()).optional();
}

/**
 * Options for a form-level check (Django `clean()`). allauth's inputs return early from
 * `clean()` when any field is invalid, so by default the check runs only when every field is
 * valid; with `dependsOn` it runs when those fields are valid (Django's `cleaned_data.get`).
 */
export function formCheck<P extends Record<string, unknown>>(
  message: string,
  params: P,
  opts: { path?: PropertyKey[]; dependsOn?: readonly string[] } = {},
) {
  const { path, dependsOn } = opts;
  return {
    message,
    params,
    ...(path ? { path } : {}),
    when: (payload: z.core.ParsePayload) =>
      dependsOn === undefined
        ? payload.issues.length === 0
        : !payload.issues.some((i) => dependsOn.includes(String(i.path?.[0]))),
  };
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
