import { z } from "zod";
import { isValidEmail } from "./email.js";
import { type ApiError, apiError, type MessageId, type Messages, type MessageValues } from "./errors.js";

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

/** A custom check's failure: the message id it reports (rendered from the message table), and its values. */
export function failsWith(id: MessageId, values?: MessageValues) {
  return { params: values === undefined ? { id } : { id, values } };
}

/**
 * Django's CharField refuses NUL (ProhibitNullCharactersValidator); PostgreSQL cannot store it
 * in text either, so it must never get past the input.
 */
const noNullCharacters = [
  (v: string) => !v.includes("\u0000"),
  failsWith("null_characters_not_allowed"),
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
    .refine(isValidEmail, failsWith("invalid.email"))
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
export function formCheck(id: MessageId, opts: { path?: PropertyKey[]; dependsOn?: readonly string[] } = {}) {
  const { path, dependsOn } = opts;
  return {
    ...failsWith(id),
    ...(path ? { path } : {}),
    when: (payload: z.core.ParsePayload) =>
      dependsOn === undefined
        ? payload.issues.length === 0
        : !payload.issues.some((i) => dependsOn.includes(String(i.path?.[0]))),
  };
}

export type InputResult<T> = { ok: true; value: T } | { ok: false; errors: ApiError[] };

/**
 * What a parse writes as the message of an issue its schema gave no message of its own: a zod
 * error map set on a schema wins over the one set on a parse, so an issue with any other message
 * carries its schema author's words (your signupFields' messages reach the answer; the built-in
 * inputs' messages come from the message table).
 */
const NO_OWN_MESSAGE = "\u0000latchkey:no-own-message";

/** Validates a parsed body against an input schema, giving allauth-shaped errors. */
export async function parseInput<T>(
  schema: z.ZodType<T>,
  body: Record<string, unknown>,
  messages: Messages,
): Promise<InputResult<T>> {
  const result = await schema.safeParseAsync(body, { error: () => NO_OWN_MESSAGE });
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, errors: result.error.issues.map((issue) => toApiError(issue, body, messages)) };
}

function toApiError(issue: z.core.$ZodIssue, body: Record<string, unknown>, messages: Messages): ApiError {
  const error = tableError(issue, body, messages);
  const ownId = issue.code === "custom" && (issue.params as { id?: MessageId } | undefined)?.id !== undefined;
  if (issue.message === NO_OWN_MESSAGE || ownId) return error;
  return { ...error, message: issue.message };
}

function tableError(issue: z.core.$ZodIssue, body: Record<string, unknown>, messages: Messages): ApiError {
  const param = issue.path.length > 0 ? String(issue.path[0]) : undefined;
  const error = (id: MessageId, values?: Record<string, string | number>) =>
    apiError(messages, id, param, values);
  switch (issue.code) {
    case "invalid_type":
      if (
        param !== undefined &&
        issue.path.length === 1 &&
        (body[param] === undefined || body[param] === null || body[param] === "")
      ) {
        return error("required");
      }
      return error("invalid");
    case "too_big":
      if (issue.origin === "string") {
        const given = body[param ?? ""];
        return error("max_length", {
          max: Number(issue.maximum),
          length: typeof given === "string" ? given.length : "more",
        });
      }
      return error("invalid");
    case "too_small":
      return error(issue.origin === "string" ? "required" : "invalid");
    case "invalid_format":
      return error(issue.format === "email" ? "invalid.email" : "invalid");
    case "invalid_value":
      return error("invalid_choice");
    case "custom": {
      const params = issue.params as { id?: MessageId; values?: MessageValues } | undefined;
      return error(params?.id ?? "invalid", params?.values);
    }
    default:
      return error("invalid");
  }
}
