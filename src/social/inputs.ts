import { z } from "zod";
import { withEmailConfirmation } from "../account/inputs.js";
import { signupFieldSet } from "../account/options.js";
import { optionalE164Phone, optionalPhoneField, phoneField } from "../account/phone/inputs.js";
import { withSignupFields } from "../account/signup-fields.js";
import type { Context } from "../base/context.js";
import type { ApiError } from "../core/errors.js";
import { failsWith, field } from "../core/input.js";
import type { ResolvedOptions } from "../options/schema.js";
import { emailRequired } from "./options.js";
import { appByClientId, findProvider } from "./providers/registry.js";
import type { ClientToken, ProviderApp } from "./providers/types.js";

/**
 * The input schemas of the social area, named as allauth's headless inputs. The exported schemas
 * are the shapes for typing and validating your own calls; the server reads the redirect form and
 * the token request field by field, as allauth's forms do, to answer exactly as they do.
 */

const processChoice = z.string().superRefine((value, ctx) => {
  if (value !== "login" && value !== "connect") {
    ctx.addIssue({ code: "custom", ...failsWith("invalid_choice.value", { value }) });
  }
});

/** POST /auth/provider/redirect (a browser form post). */
export const ProviderRedirectInput = z.object({
  provider: field.text(),
  callback_url: field.text(),
  process: processChoice,
  csrfmiddlewaretoken: z.string().optional(),
});
export type ProviderRedirectInput = z.infer<typeof ProviderRedirectInput>;

/** POST /auth/provider/token. */
export const ProviderTokenInput = z.object({
  provider: field.text(),
  process: processChoice,
  token: z.object({
    client_id: z.string().optional(),
    id_token: z.string().optional(),
    access_token: z.string().optional(),
    /** When given, the id_token's `nonce` claim must equal it. */
    nonce: z.string().optional(),
  }),
});
export type ProviderTokenInput = z.infer<typeof ProviderTokenInput>;

/** DELETE /account/providers. */
export const DeleteProviderAccountInput = z.object({ provider: field.text(), account: field.text() });
export type DeleteProviderAccountInput = z.infer<typeof DeleteProviderAccountInput>;

/**
 * POST /auth/provider/signup: the signup fields of account.signupFields but the passwords; the
 * address is required as socialaccount.emailRequired says.
 */
export function providerSignupInput(o: ResolvedOptions, extra?: z.ZodObject) {
  const fields = signupFieldSet(o.account.signupFields);
  const emailIsRequired = emailRequired(o);
  const shape: Record<string, z.ZodType> = {};
  if (fields.has("email")) shape.email = emailIsRequired ? field.email() : field.optionalEmail();
  if (fields.has("email2")) shape.email2 = emailIsRequired ? field.email() : field.optionalEmail();
  if (fields.has("username"))
    shape.username = fields.get("username") ? field.text(150) : field.optionalText(150);
  if (fields.has("phone")) shape.phone = fields.get("phone") ? phoneField(o) : optionalPhoneField(o);
  return withEmailConfirmation(
    z.object(withSignupFields(shape, extra)),
    fields.has("email2"),
  ) as z.ZodType<ProviderSignupInput>;
}
export const ProviderSignupInput = z.object({
  email: field.optionalEmail(),
  email2: field.optionalEmail(),
  username: field.optionalText(150),
  phone: optionalE164Phone(),
});
export type ProviderSignupInput = z.infer<typeof ProviderSignupInput>;

/** The redirect form, read as allauth's RedirectToProviderForm; null when it is not valid. */
export function readRedirectForm(body: Readonly<Record<string, unknown>>): ProviderRedirectInput | null {
  const parsed = ProviderRedirectInput.safeParse(body);
  return parsed.success ? parsed.data : null;
}

/** A token request that passed allauth's ProviderTokenInput: the app it names and the token. */
export interface TokenRequest {
  provider: ProviderApp;
  process: "login" | "connect";
  token: ClientToken;
}

/** Django's empty values: a required field given one of them is `required`. */
function isEmpty(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    value === "" ||
    (Array.isArray(value) && value.length === 0) ||
    (typeof value === "object" && value !== null && Object.keys(value).length === 0)
  );
}

/**
 * allauth's ProviderTokenInput, field by field then its `clean()`: the token must be an object;
 * `client_id` is required for providers with apps and must name one (else `invalid_token`); the
 * provider must support tokens; an `id_token` and/or `access_token` (strings) must be given.
 * Errors are listed by field in the order Django reports them.
 */
export function readTokenRequest(
  ctx: Context,
  body: Readonly<Record<string, unknown>>,
): TokenRequest | ApiError[] {
  const errors = new Map<string, ApiError[]>();
  const add = (param: string, error: ApiError) => errors.set(param, [...(errors.get(param) ?? []), error]);
  const providerValue = body.provider;
  let providerId: string | undefined;
  if (isEmpty(providerValue) || (typeof providerValue === "string" && providerValue.trim() === "")) {
    add("provider", ctx.error("required", "provider"));
  } else if (typeof providerValue === "string" || typeof providerValue === "number") {
    providerId = String(providerValue).trim();
  } else {
    add("provider", ctx.error("invalid", "provider"));
  }
  const process = body.process;
  if (isEmpty(process)) add("process", ctx.error("required", "process"));
  else if (process !== "login" && process !== "connect") {
    add("process", ctx.error("invalid_choice.value", "process", { value: String(process) }));
  }
  const raw = body.token;
  if (isEmpty(raw)) add("token", ctx.error("required", "token"));
  const token =
    raw !== null && typeof raw === "object" && !Array.isArray(raw) ? (raw as Record<string, unknown>) : null;
  if (!token) add("token", ctx.error("invalid_token", "token"));

  let app: ProviderApp | undefined;
  if (providerId !== undefined && token) {
    const configured = findProvider(ctx.options, providerId);
    // A provider without apps (the development provider) needs no client id; an unknown id does.
    const clientIdRequired = !(
      configured &&
      configured.id === configured.spec.id &&
      !configured.spec.usesApps
    );
    const clientId = token.client_id;
    if (clientIdRequired && typeof clientId !== "string") {
      add("token", ctx.error("client_id_required", "token"));
    } else {
      app = configured && appByClientId(configured, typeof clientId === "string" ? clientId : undefined);
      if (!app) add("token", ctx.error("invalid_token", "token"));
      else if (!app.spec.token) add("provider", ctx.error("token_authentication_not_supported", "provider"));
      else {
        const { id_token, access_token } = token;
        if (
          (id_token !== undefined && id_token !== null && typeof id_token !== "string") ||
          (access_token !== undefined && access_token !== null && typeof access_token !== "string") ||
          (!id_token && !access_token)
        ) {
          add("token", ctx.error("token_required", "token"));
        }
      }
    }
  }
  if (errors.size > 0 || !app || !token) return [...errors.values()].flat();
  const idToken = typeof token.id_token === "string" && token.id_token !== "" ? token.id_token : undefined;
  const accessToken =
    typeof token.access_token === "string" && token.access_token !== "" ? token.access_token : undefined;
  return {
    provider: app,
    process: process as "login" | "connect",
    token: {
      ...(idToken !== undefined ? { idToken } : {}),
      ...(accessToken !== undefined ? { accessToken } : {}),
      ...(typeof token.nonce === "string" ? { nonce: token.nonce } : {}),
    },
  };
}
