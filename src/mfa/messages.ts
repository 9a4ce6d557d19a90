/** allauth's MFA adapter messages (`DefaultMFAAdapter.error_messages`) and its email receiver's. */
export const mfaMessages = {
  unverified_email:
    "You cannot activate two-factor authentication until you have verified your email address.",
  cannot_generate_recovery_codes:
    "You cannot generate recovery codes without having two-factor authentication enabled.",
  add_email_blocked: "You cannot add an email address to an account protected by two-factor authentication.",
} as const;

declare module "../core/errors.js" {
  interface MessageCatalog extends Record<keyof typeof mfaMessages, string> {}
}
