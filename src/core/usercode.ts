import { randomString, safeEqual } from "./crypto.js";

/** ALLAUTH_USER_CODE_FORMAT: how codes sent to people look. */
export interface UserCodeFormat {
  alphabet: string;
  length: number;
  dashed: boolean;
}

/** allauth's default: 8 characters from an alphabet without vowels or look-alikes, dashed (WDJB-MJHT). */
export const DEFAULT_USER_CODE_FORMAT: UserCodeFormat = {
  alphabet: "BCDFGHJKLMNPQRSTVWXZ",
  length: 8,
  dashed: true,
};

export function generateUserCode(format: UserCodeFormat = DEFAULT_USER_CODE_FORMAT): string {
  const raw = randomString(format.length, format.alphabet);
  if (!format.dashed) return raw;
  const half = Math.ceil(raw.length / 2);
  return `${raw.slice(0, half)}-${raw.slice(half)}`;
}

/** What a code is compared as: case-insensitive, punctuation and whitespace ignored (allauth). */
export function normalizeUserCode(code: string): string {
  return code.replace(/[^A-Za-z0-9]/g, "").toUpperCase();
}

export function userCodesMatch(expected: string, given: string): boolean {
  return safeEqual(normalizeUserCode(expected), normalizeUserCode(given));
}
