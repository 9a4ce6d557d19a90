/**
 * Latchkey: a headless authentication server, wire-compatible with django-allauth's headless
 * API v1. This module is the public surface; it only re-exports.
 */

export { EmailInput, MarkPrimaryEmailInput, VerifyEmailInput } from "./account/email/inputs.js";
export { ChangePasswordInput, LoginInput, ReauthenticateInput, SignupInput } from "./account/inputs.js";
export { ConfirmLoginCodeInput, RequestLoginCodeInput } from "./account/login-by-code/routes.js";
export { RequestPasswordInput, ResetPasswordInput } from "./account/reset/routes.js";
export type { ConnectionInfo, Handler } from "./base/pipeline.js";
export { AuthenticatorType, Client, Flow } from "./core/enums.js";
export type { ApiError, ErrorCode, MessageId } from "./core/errors.js";
export type { Result as Envelope } from "./core/responses.js";
export type * from "./core/wire.js";
export { createLatchkey, type Latchkey, type LatchkeyDependencies, resolveOptions } from "./latchkey.js";
export type { MailMessage, SendMail } from "./mail/index.js";
export { CodeInput as AuthenticateInput, TrustInput } from "./mfa/inputs.js";
export {
  AddWebAuthnInput,
  CredentialInput,
  DeleteWebAuthnInput,
  UpdateWebAuthnInput,
} from "./mfa/webauthn/inputs.js";
export { OptionsError } from "./options/resolve.js";
export type { LatchkeyOptions, ResolvedOptions } from "./options/schema.js";
export type { SessionTokenOwner } from "./sessions/tokens/api.js";
export type {
  AccessTokenClaims,
  RefreshedTokens,
  VerifiedAccessToken,
} from "./sessions/tokens/strategy.js";
export { RefreshTokenInput } from "./tokens/area.js";
export { EndSessionsInput } from "./usersessions/area.js";
