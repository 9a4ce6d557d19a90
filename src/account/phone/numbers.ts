import { type CountryCode, parsePhoneNumberFromString } from "libphonenumber-js/max";

/**
 * The E.164 form of a number as a person typed it ("+31 6 1234 5678", or "06 12345678" with
 * `defaultRegion` "NL"), or null when it is not a valid number (extensions included: a text
 * cannot reach one). Numbers are stored and compared in this form.
 */
export function parsePhone(text: string, defaultRegion: string | null): string | null {
  const parsed = parsePhoneNumberFromString(text, {
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
