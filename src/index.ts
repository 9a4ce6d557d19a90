/**
 * Latchkey: a headless authentication server, wire-compatible with django-allauth's headless
 * API v1. This module is the public surface; it only re-exports.
 */

// The areas add their sections (account, mfa, …) to LatchkeyOptions by declaration merging: these
// imports keep the merging declarations in index.d.ts, so the published type has every section.
import "./account/options.js";
import "./compact/options.js";
import "./mfa/options.js";
import "./social/options.js";
import "./usersessions/options.js";

export { EmailInput, MarkPrimaryEmailInput, VerifyEmailInput } from "./account/email/inputs.js";
export { ChangePasswordInput, LoginInput, ReauthenticateInput, SignupInput } from "./account/inputs.js";
export { ConfirmLoginCodeInput, RequestLoginCodeInput } from "./account/login-by-code/routes.js";
export { ChangePhoneInput, VerifyPhoneInput } from "./account/phone/inputs.js";
export { RequestPasswordInput, ResetPasswordInput } from "./account/reset/routes.js";
export type { ConnectionInfo, Handler } from "./base/pipeline.js";
export { CompactCallbackInput, CompactRefreshInput } from "./compact/own-routes.js";
export type { CompactTokens } from "./compact/tokens.js";
export { ServiceUnavailableError } from "./core/availability.js";
export { AuthenticatorType, Client, Flow } from "./core/enums.js";
export type { ApiError, ErrorCode, MessageId } from "./core/errors.js";
export { MissingPackageError } from "./core/peer.js";
export type { Result as Envelope } from "./core/responses.js";
export type * from "./core/wire.js";
export {
  type CsrfCheckedRequest,
  type CsrfRefusal,
  createLatchkey,
  type Latchkey,
  type LatchkeyDependencies,
  type LatchkeySession,
  resolveOptions,
} from "./latchkey.js";
export type { MailMessage, SendMail } from "./mail/index.js";
export { CodeInput as AuthenticateInput, TrustInput } from "./mfa/inputs.js";
export {
  AddWebAuthnInput,
  CredentialInput,
  DeleteWebAuthnInput,
  UpdateWebAuthnInput,
} from "./mfa/webauthn/inputs.js";
export type { OpenApiDocument } from "./openapi/document.js";
export {
  type AllauthTranslation,
  fromAllauthSettings,
  type TranslatedSetting,
} from "./options/allauth-settings.js";
export { AllauthSettingError } from "./options/allauth-table.js";
export { OptionsError } from "./options/resolve.js";
export type { LatchkeyOptions, ResolvedOptions } from "./options/schema.js";
export type { HeaderSource, SessionSource } from "./sessions/request.js";
export type { SessionTokenOwner } from "./sessions/tokens/api.js";
export type {
  AccessTokenClaims,
  RefreshedTokens,
  VerifiedAccessToken,
} from "./sessions/tokens/strategy.js";
export type { SendSms, SmsMessage } from "./sms/index.js";
export {
  DeleteProviderAccountInput,
  ProviderRedirectInput,
  ProviderSignupInput,
  ProviderTokenInput,
} from "./social/inputs.js";
export { storedProviderTokens } from "./social/runtime.js";
export { RefreshTokenInput } from "./tokens/area.js";
export { EndSessionsInput } from "./usersessions/area.js";
