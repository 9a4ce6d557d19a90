import { z } from "zod";
import { AuthenticatorType, Flow } from "../core/enums.js";
import { ApiError, Provider, type ResponseDoc, type Responses, User } from "../core/wire-schemas.js";

/**
 * The compact API's answers, for the served OpenAPI document: bare JSON bodies (no envelope) on
 * success, `{status, errors}` on failure (see translate.ts for the rules that shape them).
 */

function component<T extends z.ZodType>(id: string, description: string, schema: T): T {
  return schema.meta({ id, description }) as T;
}

export const CompactTokens = component(
  "CompactTokens",
  "A token pair: the access token (`Authorization: Bearer`) and the refresh token that replaces it.",
  z.object({
    access_token: z.string(),
    refresh_token: z.string(),
    token_type: z.literal("Bearer"),
    expires_in: z.int().describe("Seconds the access token is valid from now."),
  }),
);

/** Signup's extra field: whether a verification mail went out. */
const verificationSent = z.boolean().optional().describe("Signup: whether a verification mail was sent.");

export const CompactLogin = component(
  "CompactLogin",
  "Logged in: the token pair and the user.",
  CompactTokens.extend({ user: User, verification_sent: verificationSent }),
);

export const CompactPendingFlow = component(
  "CompactPendingFlow",
  "Not logged in yet: the flow to go on with, its details, and the token of the route that continues it (`mfa_token` for /mfa/authenticate/, `signup_token` for /providers/signup/, in code mode `verification_token` for /email/verify/ and `reset_token` for /password/reset/confirm/). A token is spent when the flow ends; a refused attempt that leaves the flow pending (a wrong code) leaves it valid.",
  z.object({
    flow: z.enum(Flow),
    types: z.array(z.enum(AuthenticatorType)).optional(),
    provider: Provider.optional(),
    providers: z.array(z.string()).optional(),
    mfa_token: z.string().optional(),
    signup_token: z.string().optional(),
    verification_token: z.string().optional(),
    reset_token: z.string().optional(),
    verification_sent: verificationSent,
  }),
);

export const CompactError = component(
  "CompactError",
  "Refused: the status and the errors; `flow` on a 401 that asks for a reauthentication (POST /reauthenticate/ or /mfa/reauthenticate/).",
  z.object({
    status: z.int(),
    errors: z.array(ApiError),
    flow: z.enum([Flow.REAUTHENTICATE, Flow.MFA_REAUTHENTICATE]).optional(),
  }),
);

/** Done, nothing to tell. */
export const CompactDone = z.object({}).describe("Done.");

/** A 200 of the compact API with this body. */
export function compactOk(description: string, schema: z.ZodType): ResponseDoc {
  return { description, schema };
}

/** A login route's 200: logged in, or a flow to go on with. */
export const loggedInOrPending = compactOk(
  "Logged in (the token pair and the user), or a flow to go on with.",
  z.union([CompactLogin, CompactPendingFlow]),
);

const REFUSALS: Readonly<Record<number, string>> = {
  400: "The input was refused.",
  401: "The access token is missing or invalid (`WWW-Authenticate: Bearer`), the login did not succeed, or a reauthentication is needed (`flow`).",
  403: "Forbidden.",
  404: "Not found.",
  409: "Conflict: this cannot be done now.",
  429: "Too many requests.",
  502: "The provider could not be reached.",
};

/** A refusal of the compact API with this status. */
export function compactRefusal(status: number): ResponseDoc {
  return {
    name: `Compact${status}`,
    description: REFUSALS[status] ?? "Refused.",
    schema: CompactError,
  };
}

/** A compact route's answers: its 200, and its refusals by status. */
export function compactResponses(ok: ResponseDoc, ...refused: number[]): Responses {
  return Object.fromEntries([[200, ok], ...refused.map((status) => [status, compactRefusal(status)])]);
}
