import { isIP } from "node:net";
import { domainToASCII } from "node:url";

const USER_DOT_ATOM = /^[-!#$%&'*+/=?^_`{}|~0-9A-Z]+(\.[-!#$%&'*+/=?^_`{}|~0-9A-Z]+)*$/i;
const DOMAIN = /^((?:[A-Z0-9](?:[A-Z0-9-]{0,61}[A-Z0-9])?\.)+)(?:[A-Z0-9-]{2,63})$/i;
const LITERAL = /^\[([A-F0-9:.]+)\]$/i;
const DOMAIN_ALLOWLIST = ["localhost"];
/**
 * Control characters (C0, DEL, C1) and whitespace as JavaScript reads it, which includes
 * U+FEFF: the mail library's address parser drops the former and splits the address at the
 * latter, while IDNA ignores U+FEFF, so `user@evil.example<U+FEFF>.example.com` would pass as
 * a domain at example.com and be mailed to evil.example.
 */
const UNSAFE_CHARACTER = /[\s\p{Cc}]/u;
/**
 * What an internationalised domain may hold besides non-ASCII characters. domainToASCII is a
 * URL host parser: it percent-decodes, and cuts the host at "/", "?", "#" and "\", so without
 * this `user@evil.example/x.example.com` would be checked as evil.example.
 */
const IDN_DOMAIN = /^[-.0-9A-Z\P{ASCII}]+$/iu;

function validDomain(domain: string): boolean {
  if (DOMAIN.test(domain) && !domain.endsWith("-")) return true;
  const literal = LITERAL.exec(domain);
  return literal !== null && isIP(literal[1]!) !== 0;
}

/**
 * Django's EmailValidator (what allauth's email fields use), narrowed to the addresses that are
 * mailed exactly as they are stored: a dot-atom local part; a domain of dot-separated labels
 * (IDN domains checked in their punycode form, which is where they are mailed), an
 * [IP literal], or "localhost".
 *
 * Django also accepts quoted local parts, which nodemailer rewrites on the way out
 * (`"<x@evil.example>"@example.com` is mailed to `" x@evil.example "@example.com`), and
 * control characters inside them, which console output would print raw; both are refused.
 */
export function isValidEmail(value: string): boolean {
  if (!value.includes("@") || value.length > 320 || UNSAFE_CHARACTER.test(value)) return false;
  const at = value.lastIndexOf("@");
  const user = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (!USER_DOT_ATOM.test(user)) return false;
  if (DOMAIN_ALLOWLIST.includes(domain) || validDomain(domain)) return true;
  // A possible IDN domain: valid when its punycode form is.
  if (!IDN_DOMAIN.test(domain)) return false;
  const ascii = domainToASCII(domain);
  return ascii !== "" && ascii !== domain && validDomain(ascii);
}
