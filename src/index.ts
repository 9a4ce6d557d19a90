/**
 * Latchkey: a headless authentication server, wire-compatible with django-allauth's headless
 * API v1. This module is the public surface; it only re-exports.
 */

export { ConfirmLoginCodeInput, RequestLoginCodeInput } from "./account/code/area.js";
export { EmailInput, MarkPrimaryEmailInput, VerifyEmailInput } from "./account/email/inputs.js";
export { ChangePasswordInput, LoginInput, ReauthenticateInput, SignupInput } from "./account/inputs.js";
export { RequestPasswordInput, ResetPasswordInput } from "./account/reset/area.js";
export { AuthenticatorType, Client, Flow } from "./core/enums.js";
export type { ApiError, ErrorCode } from "./core/errors.js";
export type { Envelope } from "./core/responses.js";
export type * from "./core/wire.js";
export type { ConnectionInfo, Handler } from "./http/handler.js";
export { createLatchkey, type Latchkey, type LatchkeyDependencies } from "./latchkey.js";
export type { MailMessage, SendMail } from "./mail/index.js";
export { CodeInput as AuthenticateInput, TrustInput } from "./mfa/inputs.js";
export {
  AddWebAuthnInput,
  CredentialInput,
  DeleteWebAuthnInput,
  UpdateWebAuthnInput,
} from "./mfa/webauthn/inputs.js";
export { OptionsError, resolveOptions } from "./options/resolve.js";
export type { LatchkeyOptions, ResolvedOptions } from "./options/schema.js";
export type { SessionTokenOwner } from "./sessions/tokens/api.js";
export { RefreshTokenInput } from "./sessions/tokens/area.js";
export type {
  AccessTokenClaims,
  RefreshedTokens,
  VerifiedAccessToken,
} from "./sessions/tokens/strategy.js";
export { EndSessionsInput } from "./usersessions/area.js";
