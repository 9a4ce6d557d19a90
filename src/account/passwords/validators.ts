import { formatMessage } from "../../core/errors.js";
import { accountMessages } from "../messages.js";
import { isCommonPassword } from "./common.js";

/**
 * Django's default AUTH_PASSWORD_VALIDATORS, which is
 * what allauth reports through its password error codes.
 */
export interface PasswordPolicy {
  /** MinimumLengthValidator's min_length (default 8). */
  minLength: number;
  /** UserAttributeSimilarityValidator's max_similarity (default 0.7); false turns the check off. */
  userAttributeSimilarity: number | false;
  /** CommonPasswordValidator (default on). */
  commonPasswords: boolean;
  /** NumericPasswordValidator (default on). */
  numeric: boolean;
}

export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = {
  minLength: 8,
  userAttributeSimilarity: 0.7,
  commonPasswords: true,
  numeric: true,
};

export interface PasswordProblem {
  code: "password_too_similar" | "password_too_short" | "password_too_common" | "password_entirely_numeric";
  message: string;
}

/** The messages the validators use (the account area's, unless translated). */
export type PasswordMessages = Pick<
  typeof accountMessages,
  | "password_too_similar"
  | "password_too_short"
  | "password_too_short.one"
  | "password_too_common"
  | "password_entirely_numeric"
>;

/** The user attributes compared for similarity, in Django's order, with the verbose names of its User model. */
const SIMILARITY_ATTRIBUTES = [
  { key: "username", verboseName: "username" },
  { key: "email", verboseName: "email address" },
] as const;

/**
 * Every problem with the password, in Django's validator order (similarity, minimum length,
 * common, numeric); an empty list means the password is acceptable.
 */
export async function validatePassword(
  password: string,
  policy: PasswordPolicy,
  user: { username?: string | null; email?: string | null },
  messages: { readonly [K in keyof PasswordMessages]: string } = accountMessages,
): Promise<PasswordProblem[]> {
  const problems: PasswordProblem[] = [];

  if (policy.userAttributeSimilarity !== false) {
    const attribute = findTooSimilarAttribute(password, user, policy.userAttributeSimilarity);
    if (attribute !== undefined) {
      problems.push({
        code: "password_too_similar",
        message: formatMessage(messages.password_too_similar, { attribute }),
      });
    }
  }

  if (codePointLength(password) < policy.minLength) {
    problems.push({
      code: "password_too_short",
      message:
        policy.minLength === 1
          ? messages["password_too_short.one"]
          : formatMessage(messages.password_too_short, { min: policy.minLength }),
    });
  }

  if (policy.commonPasswords && (await isCommonPassword(password))) {
    problems.push({ code: "password_too_common", message: messages.password_too_common });
  }

  if (policy.numeric && isPythonDigitString(password)) {
    problems.push({ code: "password_entirely_numeric", message: messages.password_entirely_numeric });
  }

  return problems;
}

/**
 * UserAttributeSimilarityValidator.validate: the verbose name of the first attribute that the
 * password resembles (as a whole or any of its \W+-separated parts), or undefined.
 */
function findTooSimilarAttribute(
  password: string,
  user: { username?: string | null; email?: string | null },
  maxSimilarity: number,
): string | undefined {
  const loweredPassword = password.toLowerCase();
  for (const { key, verboseName } of SIMILARITY_ATTRIBUTES) {
    const value = user[key];
    if (typeof value !== "string" || value === "") continue;
    const loweredValue = value.toLowerCase();
    const valueParts = [...loweredValue.split(PYTHON_NON_WORD_RUN), loweredValue];
    for (const valuePart of valueParts) {
      if (exceedsMaximumLengthRatio(loweredPassword, maxSimilarity, valuePart)) continue;
      if (quickRatio(loweredPassword, valuePart) >= maxSimilarity) return verboseName;
    }
  }
  return undefined;
}

/** Python's `\W+` on str patterns: runs of anything but Unicode letters, digits and underscore. */
const PYTHON_NON_WORD_RUN = /[^\p{L}\p{N}_]+/u;

/**
 * Django's exceeds_maximum_length_ratio: when the password is at least ten times longer than the
 * value, quick_ratio cannot reach max_similarity, so the comparison is skipped (this also bounds
 * the work an attacker can cause with a huge password).
 */
export function exceedsMaximumLengthRatio(password: string, maxSimilarity: number, value: string): boolean {
  const passwordLength = codePointLength(password);
  const lengthBoundSimilarity = (maxSimilarity / 2) * passwordLength;
  const valueLength = codePointLength(value);
  return passwordLength >= 10 * valueLength && valueLength < lengthBoundSimilarity;
}

/**
 * difflib.SequenceMatcher(a=a, b=b).quick_ratio(): an upper bound on ratio() from the multiset
 * intersection of characters, 2 * matches / (len(a) + len(b)), 1.0 when both are empty.
 * Python indexes strings by code point, so this does too.
 */
export function quickRatio(a: string, b: string): number {
  const aChars = Array.from(a);
  const bChars = Array.from(b);
  const available = new Map<string, number>();
  for (const char of bChars) available.set(char, (available.get(char) ?? 0) + 1);
  let matches = 0;
  for (const char of aChars) {
    const count = available.get(char) ?? 0;
    available.set(char, count - 1);
    if (count > 0) matches += 1;
  }
  const length = aChars.length + bChars.length;
  return length === 0 ? 1 : (2 * matches) / length;
}

function codePointLength(text: string): number {
  let length = 0;
  for (const _ of text) length += 1;
  return length;
}

/**
 * Python's str.isdigit(): non-empty and every character has Numeric_Type Decimal or Digit, i.e.
 * category Nd plus the superscript, subscript, circled and other digits listed here (generated
 * from CPython 3.11's unicodedata).
 */
const PYTHON_DIGITS =
  /^[\p{Nd}\u{B2}-\u{B3}\u{B9}\u{1369}-\u{1371}\u{19DA}\u{2070}\u{2074}-\u{2079}\u{2080}-\u{2089}\u{2460}-\u{2468}\u{2474}-\u{247C}\u{2488}-\u{2490}\u{24EA}\u{24F5}-\u{24FD}\u{24FF}\u{2776}-\u{277E}\u{2780}-\u{2788}\u{278A}-\u{2792}\u{10A40}-\u{10A43}\u{10E60}-\u{10E68}\u{11052}-\u{1105A}\u{1F100}-\u{1F10A}]+$/u;

function isPythonDigitString(text: string): boolean {
  return PYTHON_DIGITS.test(text);
}
