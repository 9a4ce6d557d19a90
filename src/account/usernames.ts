import { randomInt } from "node:crypto";
import type { Context } from "../base/context.js";
import type { ApiError } from "../core/errors.js";
import type { ResolvedOptions } from "../options/schema.js";
import type { Users } from "../store/users.js";

/** Django's UnicodeUsernameValidator. */
const USERNAME_PATTERN = /^[\p{L}\p{N}_.@+-]+$/u;

/** Length in characters (code points), as Python counts them. */
function length(text: string): number {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}

function isBlacklisted(o: ResolvedOptions, username: string): boolean {
  const lower = username.toLowerCase();
  return o.account.usernameBlacklist.some((b) => b.toLowerCase() === lower);
}

/**
 * allauth's username checks, in its order: the form field's length limits first, then the
 * adapter's `clean_username` (characters, blacklist, taken).
 */
export async function usernameErrors(ctx: Context, username: string): Promise<ApiError[]> {
  const a = ctx.options.account;
  const n = length(username);
  if (n < a.usernameMinLength)
    return [ctx.error("min_length", "username", { min: a.usernameMinLength, length: n })];
  if (n > a.usernameMaxLength)
    return [ctx.error("max_length", "username", { max: a.usernameMaxLength, length: n })];
  if (!USERNAME_PATTERN.test(username)) return [ctx.error("invalid.username", "username")];
  if (isBlacklisted(ctx.options, username)) return [ctx.error("username_blacklisted", "username")];
  if (await ctx.rt.users.usernameTaken(username)) return [ctx.error("username_taken", "username")];
  return [];
}

/** The stored form of a username (ACCOUNT_PRESERVE_USERNAME_CASING). */
export function storedUsername(o: ResolvedOptions, username: string): string {
  return o.account.preserveUsernameCasing ? username : username.toLowerCase();
}

/**
 * allauth `_generate_unique_username_base`: the first text that makes a valid username once
 * folded to ASCII, stripped of other characters, lowercased and cut at "@" (so an email gives
 * its local part); "user" when none does.
 */
function usernameBase(o: ResolvedOptions, texts: readonly (string | undefined)[]): string {
  for (const text of texts) {
    if (!text) continue;
    // NFKD then dropping non-ASCII turns "Jürgen" into "Jurgen", as Python's encode("ascii", "ignore").
    let username = text.normalize("NFKD").replace(/[\u0080-\uffff]/g, "");
    if (username.length === 0) continue;
    username = username.replace(/[^\w\s@+.-]/g, "").toLowerCase();
    username = username.split("@")[0]!.trim().replace(/\s+/g, "_");
    // The adapter's shallow clean_username: characters, length, blacklist (not uniqueness).
    if (
      USERNAME_PATTERN.test(username) &&
      length(username) <= o.account.usernameMaxLength &&
      !isBlacklisted(o, username)
    ) {
      return username;
    }
  }
  return "user";
}

/** allauth's suffix alphabet: four digits, then letters. */
const SUFFIX_DIGITS = "0123456789";
const SUFFIX_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const MAX_SUFFIX_LENGTH = 7;

function suffix(size: number): string {
  let out = "";
  for (let i = 0; i < size; i++) {
    const alphabet = i < 4 ? SUFFIX_DIGITS : SUFFIX_LETTERS;
    out += alphabet[randomInt(alphabet.length)];
  }
  return out;
}

/** allauth `generate_username_candidates`: the base itself if long enough, then longer and longer random suffixes. */
function candidates(o: ResolvedOptions, base: string): string[] {
  const { usernameMinLength: min, usernameMaxLength: max } = o.account;
  const out = length(base) >= min ? [base] : [];
  const minSuffix = Math.max(1, min - length(base));
  const maxSuffix = Math.max(minSuffix + 1, Math.min(max, MAX_SUFFIX_LENGTH));
  for (let size = minSuffix; size < maxSuffix; size++) out.push(base.slice(0, max - size) + suffix(size));
  return out;
}

/**
 * A free username derived from the email's local part, as allauth `generate_unique_username`
 * makes one when the signup form has no username field (e.g. "Mary.Jane@example.org" →
 * "mary.jane", or "mary.jane4821" when that is taken).
 */
export async function generateUsername(
  users: Users,
  o: ResolvedOptions,
  email: string | undefined,
): Promise<string> {
  const base = usernameBase(o, [email, "user"]);
  for (let round = 0; round < 5; round++) {
    const list = candidates(o, base).filter((c) => !isBlacklisted(o, c));
    if (list.length === 0) continue;
    const taken = await users.takenUsernames(list);
    const free = list.find((c) => !taken.has(c.toLowerCase()));
    if (free !== undefined) return storedUsername(o, free);
  }
  // Every candidate of several rounds taken: fall back to a long random suffix.
  return storedUsername(o, `${base.slice(0, o.account.usernameMaxLength - 12)}${suffix(12)}`);
}
