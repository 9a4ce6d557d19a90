/** The two URL trees of the API, named as allauth's `headless.constants.Client`. */
export enum Client {
  APP = "app",
  BROWSER = "browser",
}

/** Every flow id of the contract (allauth `headless.constants.Flow`), including the four the OpenAPI enum omits. */
export enum Flow {
  LOGIN = "login",
  LOGIN_BY_CODE = "login_by_code",
  SIGNUP = "signup",
  PROVIDER_REDIRECT = "provider_redirect",
  PROVIDER_TOKEN = "provider_token",
  PROVIDER_SIGNUP = "provider_signup",
  VERIFY_EMAIL = "verify_email",
  VERIFY_PHONE = "verify_phone",
  MFA_AUTHENTICATE = "mfa_authenticate",
  MFA_REAUTHENTICATE = "mfa_reauthenticate",
  MFA_TRUST = "mfa_trust",
  MFA_LOGIN_WEBAUTHN = "mfa_login_webauthn",
  MFA_SIGNUP_WEBAUTHN = "mfa_signup_webauthn",
  REAUTHENTICATE = "reauthenticate",
  PASSWORD_RESET_BY_CODE = "password_reset_by_code",
}

/** Authenticator types, in allauth's enum order (the order `types` lists them in). */
export enum AuthenticatorType {
  RECOVERY_CODES = "recovery_codes",
  TOTP = "totp",
  WEBAUTHN = "webauthn",
}
