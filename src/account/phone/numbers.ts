import { createRequire } from "node:module";
import type { CountryCode } from "libphonenumber-js/max";

type PhoneNumbers = typeof import("libphonenumber-js/max");

let phoneNumbers: PhoneNumbers | undefined;

/**
 * libphonenumber-js with its full metadata, required when a number is first parsed rather than
 * imported with this module: its ES build is some ninety modules, which every start of the
 * command would load, for the servers that take no phone numbers too.
 */
function libphonenumber(): PhoneNumbers {
  phoneNumbers ??= createRequire(import.meta.url)("libphonenumber-js/max") as PhoneNumbers;
  return phoneNumbers;
}

/** Whether libphonenumber knows a region code (account.phoneDefaultRegion). */
export function isKnownRegion(code: string): boolean {
  return libphonenumber().isSupportedCountry(code);
}

/**
 * The E.164 form of a number as a person typed it ("+31 6 1234 5678", or "06 12345678" with
 * `defaultRegion` "NL"), or null when it is not a valid number (extensions included: a text
 * cannot reach one). Numbers are stored and compared in this form.
 */
export function parsePhone(text: string, defaultRegion: string | null): string | null {
  const parsed = libphonenumber().parsePhoneNumberFromString(text, {
    extract: false,
    ...(defaultRegion !== null ? { defaultCountry: defaultRegion as CountryCode } : {}),
  });
  if (!parsed || parsed.ext || !parsed.isValid()) return null;
  return parsed.number;
}

/** Whether a code's recipient is a phone number (E.164) rather than an email address. */
export function isPhoneNumber(recipient: string): boolean {
  return /^\+[1-9]\d{1,14}$/.test(recipient);
}
