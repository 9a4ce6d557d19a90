import type { MappedProfile, ProviderData, ProviderEmail } from "./types.js";

/** Reading provider JSON, which is untrusted: only the types expected are taken. */

/** A non-empty string, else undefined. */
export function text(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/** A nested object, else an empty one. */
export function object(value: unknown): ProviderData {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as ProviderData) : {};
}

/** JSON true, or the text "true" some providers send (Apple, Cognito). */
export function flag(value: unknown): boolean {
  return value === true || (typeof value === "string" && value.toLowerCase() === "true");
}

/** One address marked primary, verified as the provider says. */
export function primaryEmail(email: unknown, verified: unknown): ProviderEmail[] {
  const address = text(email);
  return address ? [{ email: address, verified: flag(verified), primary: true }] : [];
}

/** The standard claims of an OpenID Connect userinfo or id_token. */
export function standardClaims(data: ProviderData, uidField = "sub"): MappedProfile {
  return {
    uid: data[uidField],
    email: data.email,
    emails: primaryEmail(data.email, data.email_verified),
    username: data.preferred_username,
    name: data.name,
    firstName: data.given_name,
    lastName: data.family_name,
    picture: data.picture,
  };
}
