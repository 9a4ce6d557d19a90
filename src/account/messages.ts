/** The account area's messages, as allauth's account adapter and Django's validators word them. */
export const accountMessages = {
  invalid_login: "Invalid login.",
  email_mismatch: "You must type the same email each time.",
  email_password_mismatch: "The email address and/or password you specified are not correct.",
  username_password_mismatch: "The username and/or password you specified are not correct.",
  phone_password_mismatch: "The phone number and/or password you specified are not correct.",
  too_many_login_attempts: "Too many failed login attempts. Try again later.",
  email_taken: "A user is already registered with this email address.",
  username_taken: "A user with that username already exists.",
  phone_taken: "A user is already registered with this phone number.",
  username_blacklisted: "Username can not be used. Please use other username.",
  "invalid.username":
    "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.",
  duplicate_email: "This email address is already associated with this account.",
  max_email_addresses: "You cannot add more than {max} email addresses.",
  // The headless adapter's wording (address management) and the account adapter's (reset and code requests).
  unknown_email: "Unknown email address.",
  "unknown_email.account": "The email address is not assigned to any user account.",
  unknown_phone: "The phone number is not assigned to any user account.",
  select_only_one: "Please select only one.",
  // allauth's PhoneField (an E.164 RegexValidator whose code is invalid_phone).
  invalid_phone: "Enter a phone number including country code (e.g. +1 for the US).",
  cannot_remove_primary_email: "You cannot remove your primary email address.",
  unverified_primary_email: "Your primary email address must be verified.",
  same_as_current: "The new value must be different from the current one.",
  incorrect_code: "Incorrect code.",
  invalid_or_expired_key: "Invalid or expired key.",
  invalid_password_reset: "The password reset token was invalid.",
  incorrect_password: "Incorrect password.",
  enter_current_password: "Please type your current password.",
  password_too_short: "This password is too short. It must contain at least {min} characters.",
  "password_too_short.one": "This password is too short. It must contain at least 1 character.",
  password_too_common: "This password is too common.",
  password_entirely_numeric: "This password is entirely numeric.",
  password_too_similar: "The password is too similar to the {attribute}.",
  password_breached: "This password has appeared in a data breach and cannot be used.",
} as const;

declare module "../core/errors.js" {
  interface MessageCatalog extends Record<keyof typeof accountMessages, string> {}
}
