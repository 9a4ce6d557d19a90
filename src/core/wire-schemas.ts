import { z } from "zod";
import { AuthenticatorType, Flow } from "./enums.js";

/**
 * The answers of the wire contract as zod schemas, for the served OpenAPI document: the shapes
 * src/core/wire.ts types (a type test keeps the two in step), and the answers the routes declare
 * beside their handlers (`responses`). Shapes that are allauth's carry allauth's component names
 * (`.meta({ id })`), so the document lists each once under those names.
 */

/** A schema the document lists once under `components.schemas`, by this name. */
function component<T extends z.ZodType>(id: string, description: string, schema: T): T {
  return schema.meta({ id, description }) as T;
}

/** Epoch seconds, a float (as allauth sends times). */
const Timestamp = z.number().describe("Epoch seconds (a float).");

const authenticatorTypes = z.enum(AuthenticatorType);

export const User = component(
  "User",
  "The user; keys with no value are absent.",
  z.object({
    id: z.int().describe("The user id."),
    display: z.string().describe("The display name."),
    email: z.string().optional().describe("The primary email address."),
    username: z.string().optional(),
    has_usable_password: z.boolean().describe("Whether the account has a password set."),
  }),
);

export const AuthenticationMethod = component(
  "AuthenticationMethod",
  "How and when the user authenticated in this session.",
  z.object({
    method: z.enum(["password", "password_reset", "code", "socialaccount", "mfa"]),
    at: Timestamp,
    email: z.string().optional(),
    username: z.string().optional(),
    phone: z.string().optional(),
    reauthenticated: z.literal(true).optional(),
    provider: z.string().optional(),
    uid: z.string().optional(),
    id: z.int().optional().describe("The authenticator (method mfa)."),
    type: z.string().optional().describe("The authenticator type (method mfa)."),
    passwordless: z.literal(true).optional().describe("A passkey login."),
  }),
);

export const Provider = component(
  "Provider",
  "A social provider.",
  z.object({
    id: z.string(),
    name: z.string(),
    flows: z.array(z.enum([Flow.PROVIDER_REDIRECT, Flow.PROVIDER_TOKEN])),
    client_id: z.string().optional(),
    openid_configuration_url: z.string().optional(),
  }),
);

export const ProviderAccount = component(
  "ProviderAccount",
  "A provider account connected to the user.",
  z.object({ uid: z.string(), provider: Provider, display: z.string() }),
);

export const FlowInfo = component(
  "Flow",
  "A flow the caller can take, or the one pending (`is_pending`).",
  z.object({
    id: z.enum(Flow),
    is_pending: z.boolean().optional(),
    providers: z.array(z.string()).optional().describe("provider_redirect, provider_token: the providers."),
    provider: Provider.optional().describe("A pending provider_signup: its provider."),
    types: z
      .array(authenticatorTypes)
      .optional()
      .describe("mfa_authenticate, mfa_reauthenticate: the user's authenticator types."),
  }),
);

export const EmailAddress = component(
  "EmailAddress",
  "An email address of the user.",
  z.object({ email: z.string(), primary: z.boolean(), verified: z.boolean() }),
);

export const PhoneNumber = component(
  "PhoneNumber",
  "The user's phone number.",
  z.object({ phone: z.string(), verified: z.boolean() }),
);

export const UserSession = component(
  "Session",
  "A session of the user.",
  z.object({
    user_agent: z.string(),
    ip: z.string(),
    created_at: Timestamp,
    is_current: z.boolean(),
    id: z.int(),
    last_seen_at: Timestamp.optional().describe("With usersessions.trackActivity."),
  }),
);

const authenticatorTimes = {
  created_at: Timestamp,
  last_used_at: Timestamp.nullable(),
};

export const TOTPAuthenticator = component(
  "TOTPAuthenticator",
  "The TOTP authenticator.",
  z.object({ type: z.literal(AuthenticatorType.TOTP), ...authenticatorTimes }),
);

const recoveryCodesFields = {
  type: z.literal(AuthenticatorType.RECOVERY_CODES),
  ...authenticatorTimes,
  total_code_count: z.int(),
  unused_code_count: z.int(),
};

export const RecoveryCodesAuthenticator = component(
  "RecoveryCodesAuthenticator",
  "The recovery codes, counted.",
  z.object(recoveryCodesFields),
);

export const SensitiveRecoveryCodesAuthenticator = component(
  "SensitiveRecoveryCodesAuthenticator",
  "The recovery codes with the unused ones (absent once shown, with mfa.recoveryCodes.showOnce).",
  z.object({ ...recoveryCodesFields, unused_codes: z.array(z.string()).optional() }),
);

export const WebAuthnAuthenticator = component(
  "WebAuthnAuthenticator",
  "A WebAuthn credential (security key or passkey).",
  z.object({
    type: z.literal(AuthenticatorType.WEBAUTHN),
    ...authenticatorTimes,
    id: z.int(),
    name: z.string(),
    is_passwordless: z.boolean().optional().describe("Whether it is a passkey; absent when not known."),
  }),
);

export const Authenticator = component(
  "Authenticator",
  "An authenticator of the user.",
  z.union([TOTPAuthenticator, RecoveryCodesAuthenticator, WebAuthnAuthenticator]),
);

/** The tokens an app client is handed in `meta` (the session token; access and refresh tokens with tokens.strategy "jwt"). */
const appTokens = {
  session_token: z.string().optional().describe("App client: the session token (X-Session-Token)."),
  access_token: z.string().optional().describe('App client, tokens.strategy "jwt": the access token.'),
  refresh_token: z.string().optional().describe('App client, tokens.strategy "jwt": the refresh token.'),
};

export const AuthenticationMeta = component(
  "AuthenticationMeta",
  "Whether the caller is logged in (null where allauth answers null: a stage that is not pending, a dead session token), and an app client's new tokens.",
  z.object({ is_authenticated: z.boolean().nullable(), ...appTokens }),
);

export const AuthenticatedMeta = component(
  "AuthenticatedMeta",
  "The caller is logged in; an app client's new tokens.",
  z.object({ is_authenticated: z.literal(true), ...appTokens }),
);

/** `meta` of answers besides the authentication answers: an app client's session token, when this request created or rotated it. */
const tokenMeta = z
  .object({ session_token: appTokens.session_token })
  .optional()
  .describe("App client: the session token, when this request created or rotated it.");

export const AuthenticatedResponse = component(
  "AuthenticatedResponse",
  "The caller is logged in: the user and how they authenticated.",
  z.object({
    status: z.literal(200),
    data: z.object({ user: User, methods: z.array(AuthenticationMethod) }),
    meta: AuthenticatedMeta,
  }),
);

export const AuthenticationResponse = component(
  "AuthenticationResponse",
  "The caller is not logged in: the flows it can take, the pending one marked.",
  z.object({
    status: z.literal(401),
    data: z.object({ flows: z.array(FlowInfo) }),
    meta: AuthenticationMeta,
  }),
);

export const ReauthenticationResponse = component(
  "ReauthenticationResponse",
  "The caller is logged in, but must reauthenticate (one of `flows`) first.",
  z.object({
    status: z.literal(401),
    data: z.object({ user: User, methods: z.array(AuthenticationMethod), flows: z.array(FlowInfo) }),
    meta: AuthenticatedMeta,
  }),
);

export const SessionGoneResponse = component(
  "SessionGoneResponse",
  "App client: the session token names no live session; drop it.",
  z.object({
    status: z.literal(410),
    data: z.object({ flows: z.array(FlowInfo) }),
    meta: z.object({ is_authenticated: z.null() }),
  }),
);

export const ApiError = component(
  "Error",
  "One error: a stable `code`, its message, and the input field (`param`) it is about.",
  z.object({ message: z.string(), code: z.string(), param: z.string().optional() }),
);

/** An error answer: its status, and the errors (absent where allauth answers a bare status). */
function errorResponse(id: string, status: number, description: string) {
  return component(
    id,
    description,
    z.object({ status: z.literal(status), errors: z.array(ApiError).optional(), meta: tokenMeta }),
  );
}

export const ErrorResponse = errorResponse("ErrorResponse", 400, "The input was refused.");
export const ForbiddenResponse = errorResponse("ForbiddenResponse", 403, "Forbidden.");
export const NotFoundResponse = errorResponse("NotFoundResponse", 404, "Not found.");
export const ConflictResponse = errorResponse("ConflictResponse", 409, "Conflict.");
export const TooManyRequestsResponse = errorResponse("TooManyRequestsResponse", 429, "Too many requests.");

/** A 200 envelope with this `data` (and `meta`). */
export function okEnvelope<D extends z.ZodType>(data: D, meta: z.ZodType = tokenMeta) {
  return z.object({ status: z.literal(200), data, meta });
}

export const StatusOKResponse = component(
  "StatusOKResponse",
  "Done.",
  z.object({ status: z.literal(200), meta: tokenMeta }),
);

export const AccountConfiguration = component(
  "AccountConfiguration",
  "The account section of GET /config.",
  z.object({
    login_methods: z.array(z.enum(["email", "username", "phone"])),
    is_open_for_signup: z.boolean(),
    email_verification_by_code_enabled: z.boolean(),
    login_by_code_enabled: z.boolean(),
    password_reset_by_code_enabled: z.boolean(),
    authentication_method: z.enum(["email", "username", "username_email"]).optional(),
  }),
);

export const SocialAccountConfiguration = component(
  "SocialAccountConfiguration",
  "The socialaccount section of GET /config (with a provider configured).",
  z.object({ providers: z.array(Provider) }),
);

export const MFAConfiguration = component(
  "MFAConfiguration",
  "The mfa section of GET /config (with mfa.enabled).",
  z.object({ supported_types: z.array(authenticatorTypes), passkey_login_enabled: z.boolean() }),
);

export const UserSessionsConfiguration = component(
  "UserSessionsConfiguration",
  "The usersessions section of GET /config (with usersessions.enabled).",
  z.object({ track_activity: z.boolean() }),
);

export const ConfigurationResponse = component(
  "ConfigurationResponse",
  "What the frontend needs to know about this server (it depends only on the options and the client tree).",
  okEnvelope(
    z.object({
      account: AccountConfiguration,
      socialaccount: SocialAccountConfiguration.optional(),
      mfa: MFAConfiguration.optional(),
      usersessions: UserSessionsConfiguration.optional(),
    }),
  ),
);

const webauthnOptions = z.record(z.string(), z.unknown());

export const WebAuthnCredentialRequestOptions = component(
  "WebAuthnCredentialRequestOptions",
  "WebAuthn credential request options, for `PublicKeyCredential.parseRequestOptionsFromJSON()`.",
  z.object({ request_options: z.object({ publicKey: webauthnOptions }) }),
);

export const WebAuthnCredentialCreationOptions = component(
  "WebAuthnCredentialCreationOptions",
  "WebAuthn credential creation options, for `PublicKeyCredential.parseCreationOptionsFromJSON()`.",
  z.object({ creation_options: z.object({ publicKey: webauthnOptions }) }),
);

/** One documented answer: its description and body, listed once under `components.responses` when named. */
export interface ResponseDoc {
  /** The name under `components.responses` (allauth's where the answer is allauth's); absent: written in place. */
  readonly name?: string;
  readonly description: string;
  /** The JSON body. */
  readonly schema?: z.ZodType;
  /** A redirect (302) to the `Location` header. */
  readonly redirect?: true;
  /** An HTML page. */
  readonly html?: true;
}

/** What a route answers, by status. */
export type Responses = Readonly<Record<number, ResponseDoc>>;

/** An answer written in place: its description and body. */
export function answer(description: string, schema: z.ZodType): ResponseDoc {
  return { description, schema };
}

/** A 200 written in place: its description, and the envelope's `data` (and `meta`). */
export function okAnswer(description: string, data: z.ZodType, meta?: z.ZodType): ResponseDoc {
  return { description, schema: okEnvelope(data, meta) };
}

/** The answers many routes share, under allauth's names. */
export const Answers = {
  authenticated: {
    name: "Authenticated",
    description: "The caller is logged in.",
    schema: AuthenticatedResponse,
  },
  authentication: {
    name: "Authentication",
    description: "Not logged in: the flows to go on with, the pending one marked.",
    schema: AuthenticationResponse,
  },
  authenticationOrReauthentication: {
    name: "AuthenticationOrReauthentication",
    description: "Not logged in, or the last authentication is too old: the flows to go on with.",
    schema: z.union([AuthenticationResponse, ReauthenticationResponse]),
  },
  sessionGone: {
    name: "SessionGone",
    description: "App client: the session token names no live session.",
    schema: SessionGoneResponse,
  },
  statusOK: { name: "StatusOK", description: "Done.", schema: StatusOKResponse },
  error: {
    name: "Error",
    description: "The input was refused: the errors, by field.",
    schema: ErrorResponse,
  },
  forbidden: { name: "Forbidden", description: "Forbidden.", schema: ForbiddenResponse },
  notFound: { name: "NotFound", description: "Not found.", schema: NotFoundResponse },
  conflict: {
    name: "Conflict",
    description: "Conflict: the flow this needs is not pending, or the caller is logged in already.",
    schema: ConflictResponse,
  },
  tooManyRequests: {
    name: "TooManyRequests",
    description: "Too many requests: a rate limit was reached.",
    schema: TooManyRequestsResponse,
  },
  configuration: { name: "Configuration", description: "The configuration.", schema: ConfigurationResponse },
  emailAddresses: {
    name: "EmailAddresses",
    description: "The user's email addresses.",
    schema: okEnvelope(z.array(EmailAddress)),
  },
  providerAccounts: {
    name: "ProviderAccounts",
    description: "The connected provider accounts.",
    schema: okEnvelope(z.array(ProviderAccount)),
  },
  authenticators: {
    name: "Authenticators",
    description: "The user's authenticators.",
    schema: okEnvelope(z.array(Authenticator)),
  },
  sessions: {
    name: "Sessions",
    description: "The user's sessions.",
    schema: okEnvelope(z.array(UserSession)),
  },
  webauthnRequestOptions: {
    name: "WebAuthnRequestOptionsResponse",
    description: "WebAuthn credential request options.",
    schema: okEnvelope(WebAuthnCredentialRequestOptions),
  },
  webauthnCreationOptions: {
    name: "WebAuthnCreationOptionsResponse",
    description: "WebAuthn credential creation options.",
    schema: okEnvelope(WebAuthnCredentialCreationOptions),
  },
} as const satisfies Record<string, ResponseDoc>;
