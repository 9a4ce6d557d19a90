/**
 * Stable error codes of the wire contract (allauth's ValidationError codes, plus Latchkey's
 * own for the cases allauth answers with HTML). Clients switch on `code`; `message` is for people.
 */
export type ErrorCode =
  // generic input
  | "required"
  | "invalid"
  | "invalid_choice"
  | "max_length"
  | "min_length"
  | "invalid_list"
  | "invalid_pk_value"
  | "null_characters_not_allowed"
  // latchkey's JSON answers where allauth answers HTML
  | "invalid_json"
  | "not_found"
  | "method_not_allowed"
  | "csrf_failed"
  | "payload_too_large"
  | "unsupported_media_type"
  | "internal_error"
  // what Node's HTTP parser refuses, answered in the envelope by the Node adapter
  | "bad_request"
  | "request_timeout"
  | "request_header_fields_too_large"
  // account
  | "invalid_login"
  | "email_mismatch"
  | "email_password_mismatch"
  | "username_password_mismatch"
  | "phone_password_mismatch"
  | "too_many_login_attempts"
  | "account_inactive"
  | "email_taken"
  | "username_taken"
  | "username_blacklisted"
  | "phone_taken"
  | "duplicate_email"
  | "max_email_addresses"
  | "add_email_blocked"
  | "unknown_email"
  | "unknown_phone"
  | "select_only_one"
  | "cannot_remove_primary_email"
  | "unverified_primary_email"
  | "same_as_current"
  | "incorrect_code"
  | "invalid_or_expired_key"
  | "invalid_password_reset"
  | "incorrect_password"
  | "enter_current_password"
  | "password_too_short"
  | "password_too_common"
  | "password_entirely_numeric"
  | "password_too_similar"
  | "password_breached"
  // mfa
  | "unverified_email"
  | "cannot_generate_recovery_codes"
  | "cannot_delete_authenticator"
  // social
  | "account_not_found"
  | "no_password"
  | "no_verified_email"
  | "disconnect_last"
  | "connected_other"
  | "invalid_token"
  | "client_id_required"
  | "token_required"
  | "token_authentication_not_supported"
  | "unknown_provider"
  | "invalid_url";

/** One entry of `errors[]`: `param` is absent for form-level errors. */
export interface ApiError {
  message: string;
  code: ErrorCode;
  param?: string;
}

/** Default English messages, as allauth words them. */
export const messages = {
  required: "This field is required.",
  invalid: "Enter a valid value.",
  invalid_email: "Enter a valid email address.",
  null_characters_not_allowed: "Null characters are not allowed.",
  invalid_json: "The request body is not valid JSON.",
  not_found: "Not found.",
  method_not_allowed: "Method not allowed.",
  csrf_failed: "CSRF verification failed. Request aborted.",
  payload_too_large: "The request body is too large.",
  unsupported_media_type: "Send the request body as JSON (Content-Type: application/json).",
  internal_error: "Internal server error.",
  invalid_login: "Invalid login.",
  email_password_mismatch: "The email address and/or password you specified are not correct.",
  username_password_mismatch: "The username and/or password you specified are not correct.",
  phone_password_mismatch: "The phone number and/or password you specified are not correct.",
  too_many_login_attempts: "Too many failed login attempts. Try again later.",
  account_inactive: "This account is currently inactive.",
  email_taken: "A user is already registered with this email address.",
  username_taken: "A user with that username already exists.",
  username_blacklisted: "Username can not be used. Please use other username.",
  username_invalid:
    "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.",
  incorrect_password: "Incorrect password.",
  enter_current_password: "Please type your current password.",
  incorrect_code: "Incorrect code.",
  invalid_or_expired_key: "Invalid or expired key.",
  invalid_password_reset: "The password reset token was invalid.",
  // email addresses (allauth's account adapter; unknown_email is the headless adapter's wording)
  duplicate_email: "This email address is already associated with this account.",
  max_email_addresses: "You cannot add more than %d email addresses.",
  unknown_email_address: "Unknown email address.",
  cannot_remove_primary_email: "You cannot remove your primary email address.",
  unverified_primary_email: "Your primary email address must be verified.",
  same_as_current: "The new value must be different from the current one.",
  add_email_blocked: "You cannot add an email address to an account protected by two-factor authentication.",
} as const;

/** Builds one error object; `param` omitted when not given, as the envelope requires. */
export function apiError(code: ErrorCode, message: string, param?: string): ApiError {
  return param === undefined ? { message, code } : { message, code, param };
}
