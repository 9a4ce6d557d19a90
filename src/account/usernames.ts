import { randomInt } from "node:crypto";
import type { Kysely } from "kysely";
import { type ApiError, apiError, messages } from "../core/errors.js";
import type { ResolvedOptions } from "../options/schema.js";
import type { Database } from "../store/tables.js";
import { usernameIsTaken } from "./users.js";

/** Django's UnicodeUsernameValidator. */
const USERNAME_PATTERN = /^[\p{L}\p{N}_.@+-]+$/u;

/** allauth's username checks, in its order: characters, length, blacklist, taken. */
export async function usernameErrors(
  db: Kysely<Database>,
  o: ResolvedOptions,
  username: string,
): Promise<ApiError[]> {
  const a = o.account;
  if (!USERNAME_PATTERN.test(username)) return [apiError("invalid", messages.username_invalid, "username")];
  if (username.length < a.usernameMinLength) {
    return [
      apiError(
        "min_length",
        `Ensure this value has at least ${a.usernameMinLength} characters (it has ${username.length}).`,
        "username",
      ),
    ];
  }
  if (username.length > a.usernameMaxLength) {
    return [
      apiError(
        "max_length",
        `Ensure this value has at most ${a.usernameMaxLength} characters (it has ${username.length}).`,
        "username",
      ),
    ];
  }
  const lower = username.toLowerCase();
  if (a.usernameBlacklist.some((b) => b.toLowerCase() === lower)) {
    return [apiError("username_blacklisted", messages.username_blacklisted, "username")];
  }
  if (await usernameIsTaken(db, username))
    return [apiError("username_taken", messages.username_taken, "username")];
  return [];
}

/** The stored form of a username (ACCOUNT_PRESERVE_USERNAME_CASING). */
export function storedUsername(o: ResolvedOptions, username: string): string {
  return o.account.preserveUsernameCasing ? username : username.toLowerCase();
}

/**
 * A free username derived from an email's local part, as allauth generates one when the
 * signup form has no username field.
 */
export async function generateUsername(
  db: Kysely<Database>,
  o: ResolvedOptions,
  email: string | undefined,
): Promise<string> {
  const base =
    (email ?? "user")
      .split("@")[0]!
      .replace(/[^\p{L}\p{N}_.@+-]/gu, "")
      .slice(0, Math.min(30, o.account.usernameMaxLength - 6)) || "user";
  const blacklisted = (u: string) =>
    o.account.usernameBlacklist.some((b) => b.toLowerCase() === u.toLowerCase());
  let candidate = storedUsername(o, base);
  for (let attempt = 0; attempt < 20; attempt++) {
    if (
      candidate.length >= o.account.usernameMinLength &&
      !blacklisted(candidate) &&
      !(await usernameIsTaken(db, candidate))
    ) {
      return candidate;
    }
    candidate = storedUsername(o, `${base}${randomInt(10 ** Math.min(2 + attempt, 6))}`);
  }
  return storedUsername(o, `${base}${randomInt(1e9)}`);
}
