/**
 * Latchkey: a headless authentication server, wire-compatible with django-allauth's headless
 * API v1. This module is the public surface; it only re-exports.
 */

export { ChangePasswordInput, LoginInput, ReauthenticateInput, SignupInput } from "./account/inputs.js";
export { AuthenticatorType, Client, Flow } from "./core/enums.js";
export type { ApiError, ErrorCode } from "./core/errors.js";
export type { Envelope } from "./core/responses.js";
export type * from "./core/wire.js";
export type { ConnectionInfo, Handler } from "./http/handler.js";
export { createLatchkey, type Latchkey, type LatchkeyDependencies } from "./latchkey.js";
export { OptionsError, resolveOptions } from "./options/resolve.js";
export type { LatchkeyOptions, ResolvedOptions } from "./options/schema.js";
