/** The social area's messages, as allauth's headless and social adapters word them. */
export const socialMessages = {
  account_not_found: "Unknown account.",
  client_id_required: "`client_id` required.",
  invalid_token: "Invalid token.",
  token_authentication_not_supported: "Provider does not support token authentication.",
  token_required: "`id_token` and/or `access_token` required.",
  no_password: "Your account has no password set up.",
  no_verified_email: "Your account has no verified email address.",
  disconnect_last: "You cannot disconnect your last remaining third-party account.",
  connected_other: "The third-party account is already connected to a different account.",
  "email_taken.provider":
    "An account already exists with this email address. Please sign in to that account first, then connect your {provider} account.",
} as const;

declare module "../core/errors.js" {
  interface MessageCatalog extends Record<keyof typeof socialMessages, string> {}
}
