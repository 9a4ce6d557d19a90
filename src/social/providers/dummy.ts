import { isValidEmail } from "../../core/email.js";
import { primaryEmail } from "./claims.js";
import type { ProviderData, ProviderSpec } from "./types.js";
import { ProviderError } from "./types.js";

/**
 * allauth's AuthenticateForm of the development provider: an account id (an integer), and
 * optionally an email (verified or not), a username and names. Null when the fields do not make
 * an account.
 */
export function dummyAccount(fields: Readonly<Record<string, unknown>>): ProviderData | null {
  const raw = fields.id;
  const idText = typeof raw === "number" ? String(raw) : typeof raw === "string" ? raw.trim() : "";
  if (!/^[+-]?\d{1,18}$/.test(idText)) return null;
  const optional = (name: string): string | null => {
    const value = fields[name];
    if (value === undefined || value === null) return null;
    if (typeof value !== "string") return null;
    const trimmed = value.trim();
    return trimmed === "" ? null : trimmed;
  };
  const email = optional("email");
  if (email !== null && !isValidEmail(email)) return null;
  // A checked checkbox posts "on"; a JSON token says true.
  const verified = fields.email_verified;
  return {
    id: Number(idText),
    email: email?.toLowerCase() ?? null,
    email_verified: verified === true || verified === "on" || verified === "true",
    username: optional("username"),
    first_name: optional("first_name"),
    last_name: optional("last_name"),
  };
}

/**
 * allauth's `dummy` provider, for development: its login page (GET/POST /accounts/dummy/login/)
 * stands in for a provider's, and its token is the same form as JSON. Never enable it in production:
 * it logs anyone in as anyone.
 */
export const dummy: ProviderSpec = {
  id: "dummy",
  name: "Dummy",
  usesApps: false,
  redirect: true,
  token: true,
  endpoints: {},
  scope: () => [],
  pkce: false,
  profile() {
    throw new ProviderError("the development provider has no token endpoint");
  },
  map: (d) => ({
    uid: d.id,
    email: d.email,
    emails: primaryEmail(d.email, d.email_verified),
    username: d.username,
    firstName: d.first_name,
    lastName: d.last_name,
  }),
  async verifyToken(_call, token) {
    let fields: unknown;
    try {
      fields = JSON.parse(token.idToken ?? "");
    } catch {
      throw new ProviderError("the development provider's id_token is JSON");
    }
    const account =
      fields !== null && typeof fields === "object" ? dummyAccount(fields as Record<string, unknown>) : null;
    if (!account) throw new ProviderError("not an account of the development provider");
    return account;
  },
};
