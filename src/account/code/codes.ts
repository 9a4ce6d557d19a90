import { safeEqual, sha256 } from "../../core/crypto.js";
import { normalizeUserCode } from "../../core/usercode.js";

/**
 * Codes mailed to people are kept in the session only as a hash of their normalised form, so a
 * leaked session row does not hand out a working code.
 */
export function hashUserCode(code: string): string {
  return sha256(`user-code:${normalizeUserCode(code)}`);
}

// Compared against when a process has no code (a decoy for an unknown address), so a miss
// costs the same as a wrong guess at a real code.
const NO_CODE = hashUserCode("no code was issued");

/**
 * Whether `given` is the code whose hash is `expected` (case-insensitive, punctuation and
 * whitespace ignored, as allauth compares). A null `expected` never matches.
 */
export function userCodeMatchesHash(expected: string | null, given: string): boolean {
  const matches = safeEqual(expected ?? NO_CODE, hashUserCode(given));
  return expected !== null && matches;
}
