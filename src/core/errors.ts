/**
 * Errors of the wire contract. Every message has an id: the error `code` clients switch on, or
 * `code.variant` where one code has several wordings (Django words `invalid` per field). The
 * messages live in one table keyed by id (the runtime merges the areas' entries and the
 * `messages` option, which translates them); `{name}` in a message is filled in from the call.
 */

/** One entry of `errors[]`: `param` is absent for form-level errors. */
export interface ApiError {
  message: string;
  code: ErrorCode;
  param?: string;
}

/** The messages of the pipeline and of Django's generic form fields, as allauth words them. */
export const coreMessages = {
  required: "This field is required.",
  invalid: "Enter a valid value.",
  "invalid.email": "Enter a valid email address.",
  "invalid.aborted": "The request body was cut off.",
  "invalid.json": "Enter a valid JSON.",
  invalid_choice: "Select a valid choice.",
  "invalid_choice.value": "Select a valid choice. {value} is not one of the available choices.",
  "invalid_choice.unnamed": "Select a valid choice. That choice is not one of the available choices.",
  max_length: "Ensure this value has at most {max} characters (it has {length}).",
  min_length: "Ensure this value has at least {min} characters (it has {length}).",
  invalid_list: "Enter a list of values.",
  invalid_pk_value: "“{value}” is not a valid value.",
  null_characters_not_allowed: "Null characters are not allowed.",
  // Latchkey's JSON answers where allauth answers HTML or nothing
  invalid_json: "The request body is not valid JSON.",
  "invalid_json.object": "The request body must be a JSON object.",
  not_found: "Not found.",
  method_not_allowed: "Method not allowed.",
  csrf_failed: "CSRF verification failed. Request aborted. ({reason})",
  payload_too_large: "The request body is too large.",
  unsupported_media_type: "Send the request body as JSON (Content-Type: application/json).",
  internal_error: "Internal server error.",
  service_unavailable: "The service is temporarily unavailable. Try again shortly.",
  // what Node's HTTP parser refuses, answered in the envelope by the Node adapter
  bad_request: "The request could not be read.",
  "invalid.host": "The request URL or Host header is invalid.",
  request_timeout: "The request took too long to arrive.",
  request_header_fields_too_large: "The request headers are too large.",
} as const;

/**
 * Every message id. Each area adds its own by declaration merging:
 * `declare module "../core/errors.js" { interface MessageCatalog extends Record<keyof typeof ours, string> {} }`.
 */
export interface MessageCatalog extends Record<keyof typeof coreMessages, string> {}

export type MessageId = keyof MessageCatalog & string;

type CodeOf<Id> = Id extends `${infer Code}.${string}` ? Code : Id;

/** Stable error codes of the wire contract (allauth's ValidationError codes, plus Latchkey's own). */
export type ErrorCode = CodeOf<MessageId>;

/** The message table: every id's text. */
export type Messages = Readonly<Record<MessageId, string>>;

export type MessageValues = Readonly<Record<string, string | number>>;

/** The error `code` of a message id. */
export function codeOf(id: MessageId): ErrorCode {
  const dot = id.indexOf(".");
  return (dot === -1 ? id : id.slice(0, dot)) as ErrorCode;
}

/** A message with its `{name}` placeholders filled in. */
export function formatMessage(template: string, values?: MessageValues): string {
  if (!values) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(values, name) ? String(values[name]) : whole,
  );
}

/** Builds one error object; `param` omitted when not given, as the envelope requires. */
export function apiError(
  messages: Messages,
  id: MessageId,
  param?: string,
  values?: MessageValues,
): ApiError {
  const message = formatMessage(messages[id], values);
  const code = codeOf(id);
  return param === undefined ? { message, code } : { message, code, param };
}
