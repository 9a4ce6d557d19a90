/**
 * Keys of SessionData, in one place so areas never collide. A key's value belongs to the area
 * that names it; an absent key means "nothing pending".
 */
export const SessionKey = {
  /** AuthenticationMethod[] of the logged-in user. */
  METHODS: "methods",
  /** PendingLogin: a staged login in progress. */
  LOGIN: "login",
  /** account: a code-mode email verification in progress (signup or address change). */
  EMAIL_VERIFICATION: "account.email_verification",
  /** account: a logged-in user's phone change awaiting its texted code. */
  PHONE_VERIFICATION: "account.phone_verification",
  /** account: a password reset by code in progress. While set, `password_reset_by_code` is pending. */
  PASSWORD_RESET_BY_CODE: "account.password_reset_by_code",
  /** mfa: the TOTP secret offered by GET /account/authenticators/totp, until activated. */
  TOTP_PENDING_SECRET: "mfa.totp_secret",
  /** mfa: the WebAuthn challenge state of the ceremony in progress. */
  WEBAUTHN_STATE: "mfa.webauthn_state",
  /** socialaccount: the secret the session's provider redirect states are bound to. */
  SOCIAL_BINDING: "social.binding",
  /** socialaccount: a provider signup waiting for the user's input (allauth `socialaccount_sociallogin`). */
  SOCIAL_SIGNUP: "social.signup",
  /** tokens: refresh-token jti → expiry (epoch s), the allow-list of the JWT strategy. */
  REFRESH_TOKENS: "tokens.refresh",
  /** compact: the HeldSecret of the session's access token (the compact API's Bearer token). */
  COMPACT_ACCESS: "compact.access",
  /** compact: the HeldSecret of its refresh token, with the hashes rotation replaced (`rotated`). */
  COMPACT_REFRESH: "compact.refresh",
  /** compact: the HeldSecret of the token that continues a pending flow (`mfa_token`, …), and the flow. */
  COMPACT_PENDING: "compact.pending",
} as const;
