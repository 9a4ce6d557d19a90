/**
 * The compact API's own messages: for its tokens, and for the answers allauth gives without an
 * error object (a bare 403, 409 or 429, the 401 of a reauthentication), which the compact API's
 * envelope always carries.
 */
export const compactMessages = {
  not_authenticated: "Authentication credentials were not provided.",
  "invalid_token.access": "The access token is invalid or has expired.",
  "invalid_token.refresh": "The refresh token is invalid or has expired.",
  "invalid_token.pending": "The token is invalid, used or expired: log in again.",
  "invalid_token.state": "The state is invalid, used or expired: start again.",
  reauthentication_required: "Confirm your identity to continue.",
  forbidden: "This is not allowed.",
  conflict: "This cannot be done now.",
  too_many_requests: "Too many requests. Try again later.",
  provider_unavailable: "The provider could not be reached. Try again later.",
} as const;

declare module "../core/errors.js" {
  interface MessageCatalog extends Record<keyof typeof compactMessages, string> {}
}
