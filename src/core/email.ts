import { isIP } from "node:net";
import { domainToASCII } from "node:url";

const USER_DOT_ATOM = /^[-!#$%&'*+/=?^_`{}|~0-9A-Z]+(\.[-!#$%&'*+/=?^_`{}|~0-9A-Z]+)*$/i;
// biome-ignore lint/suspicious/noControlCharactersInRegex: Django's quoted-string grammar names control characters.
const USER_QUOTED = /^"([\x01-\x08\x0b\x0c\x0e-\x1f!#-[\]-\x7f]|\\[\x01-\x09\x0b\x0c\x0e-\x7f])*"$/i;
const DOMAIN = /^((?:[A-Z0-9](?:[A-Z0-9-]{0,61}[A-Z0-9])?\.)+)(?:[A-Z0-9-]{2,63})$/i;
const LITERAL = /^\[([A-F0-9:.]+)\]$/i;
const DOMAIN_ALLOWLIST = ["localhost"];

function validDomain(domain: string): boolean {
  if (DOMAIN.test(domain) && !domain.endsWith("-")) return true;
  const literal = LITERAL.exec(domain);
  return literal !== null && isIP(literal[1]!) !== 0;
}

/**
 * Django's EmailValidator (what allauth's email fields use), so the same addresses are accepted:
 * a dot-atom or quoted local part; a domain of dot-separated labels (IDN domains checked in their
 * punycode form), an [IP literal], or "localhost".
 */
export function isValidEmail(value: string): boolean {
  if (!value.includes("@") || value.length > 320) return false;
  const at = value.lastIndexOf("@");
  const user = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (!USER_DOT_ATOM.test(user) && !USER_QUOTED.test(user)) return false;
  if (DOMAIN_ALLOWLIST.includes(domain) || validDomain(domain)) return true;
  // A possible IDN domain: valid when its punycode form is.
  const ascii = domainToASCII(domain);
  return ascii !== "" && ascii !== domain && validDomain(ascii);
}
