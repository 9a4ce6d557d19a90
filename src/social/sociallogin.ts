import { isValidEmail } from "../core/email.js";
import { text } from "./providers/claims.js";
import {
  type ProviderApp,
  type ProviderData,
  type ProviderEmail,
  ProviderError,
  type ProviderTokens,
} from "./providers/types.js";

/** allauth's SOCIALACCOUNT_UID_MAX_LENGTH. */
const UID_MAX_LENGTH = 191;

/**
 * A person a provider vouched for, on the way to being logged in, signed up or connected
 * (allauth's SocialLogin): the provider account and what it says about the person.
 */
export interface SocialLogin {
  provider: ProviderApp;
  uid: string;
  extraData: ProviderData;
  /** Valid, lowercased, each once, primary and verified ones first. */
  emails: ProviderEmail[];
  username: string | null;
  firstName: string | null;
  lastName: string | null;
  picture: string | null;
  tokens: ProviderTokens | null;
}

/**
 * allauth `is_email_verified`: the `verifiedEmail` setting (true, or a list of domains) makes a
 * provider's addresses count as verified whatever it says.
 */
function forcedVerified(provider: ProviderApp, email: string): boolean {
  const setting = provider.settings.verifiedEmail;
  if (setting === undefined || typeof setting === "boolean") return setting === true;
  const domain = email.slice(email.lastIndexOf("@") + 1);
  return setting.some((d) => d.toLowerCase() === domain);
}

function validEmail(value: unknown): string | undefined {
  const email = text(value)?.toLowerCase();
  return email !== undefined && isValidEmail(email) ? email : undefined;
}

/**
 * allauth `cleanup_email_addresses` of a provider: invalid addresses dropped, the profile's
 * `email` added as primary when the list lacks it, `verifiedEmail` applied, duplicates merged,
 * primary and verified ones first.
 */
function cleanEmails(provider: ProviderApp, email: unknown, verified: unknown, listed: ProviderEmail[]) {
  const byAddress = new Map<string, ProviderEmail>();
  const add = (entry: ProviderEmail) => {
    const known = byAddress.get(entry.email);
    if (known) {
      known.primary ||= entry.primary;
      known.verified ||= entry.verified;
    } else {
      byAddress.set(entry.email, { ...entry });
    }
  };
  for (const entry of listed) {
    const address = validEmail(entry.email);
    if (address) add({ email: address, verified: entry.verified === true, primary: entry.primary === true });
  }
  const main = validEmail(email);
  if (main !== undefined && !byAddress.has(main))
    add({ email: main, verified: verified === true, primary: true });
  const emails = [...byAddress.values()].map((e) => ({
    ...e,
    verified: e.verified || forcedVerified(provider, e.email),
  }));
  const rank = (e: ProviderEmail) => Number(e.primary) * 2 + Number(e.verified);
  return emails.sort((a, b) => rank(b) - rank(a) || (a.email < b.email ? 1 : a.email > b.email ? -1 : 0));
}

/** A SocialLogin from a provider's data (allauth `sociallogin_from_response`). */
export function socialLoginFrom(
  provider: ProviderApp,
  data: ProviderData,
  tokens: ProviderTokens | null,
): SocialLogin {
  const mapped = provider.spec.map(data, provider);
  const uid = typeof mapped.uid === "number" ? String(mapped.uid) : text(mapped.uid);
  if (uid === undefined) throw new ProviderError(`${provider.id} answered no account id`);
  if (uid.length > UID_MAX_LENGTH)
    throw new ProviderError(`${provider.id} answered an account id over ${UID_MAX_LENGTH} characters`);
  const emails = cleanEmails(
    provider,
    mapped.email,
    mapped.emailVerified === true || mapped.emailVerified === "true",
    mapped.emails ?? [],
  );
  // allauth's populate_user: a full name gives the first and last names the provider did not.
  const name = text(mapped.name) ?? "";
  const space = name.indexOf(" ");
  return {
    provider,
    uid,
    extraData: mapped.extraData ?? data,
    emails,
    username: text(mapped.username) ?? null,
    firstName: text(mapped.firstName) ?? (text(space === -1 ? name : name.slice(0, space)) || null),
    lastName: text(mapped.lastName) ?? (space === -1 ? null : (text(name.slice(space + 1)) ?? null)),
    picture: text(mapped.picture) ?? null,
    tokens,
  };
}

const DISPLAY_KEYS: readonly (readonly string[])[] = [
  ["username", "userName", "user_name", "login", "handle"],
  ["email", "Email", "mail", "email_address"],
  ["name", "display_name", "displayName", "displayname", "Display_Name", "nickname"],
  ["full_name", "fullName"],
];
const FIRST_NAME_KEYS = ["first_name", "firstname", "firstName", "First_Name", "given_name", "givenName"];
const LAST_NAME_KEYS = [
  "last_name",
  "lastname",
  "lastName",
  "Last_Name",
  "family_name",
  "familyName",
  "surname",
];

/**
 * How a provider account is shown (allauth `ProviderAccount.to_str`): the preset's own rule, else
 * the first of username, email, display name, full name, first and last name found in its data,
 * else the provider's name.
 */
export function accountDisplay(
  provider: { name: string; spec?: ProviderApp["spec"] },
  extra: ProviderData,
): string {
  const own = provider.spec?.display?.(extra);
  if (own) return own;
  const user = provider.spec?.userData?.(extra) ?? extra;
  for (const keys of DISPLAY_KEYS) {
    for (const key of keys) {
      const value = text(user[key]);
      if (value) return value;
    }
  }
  const pick = (keys: readonly string[]) => keys.map((k) => text(user[k])).find(Boolean) ?? "";
  const full = `${pick(FIRST_NAME_KEYS)} ${pick(LAST_NAME_KEYS)}`.trim();
  return full || provider.name;
}
