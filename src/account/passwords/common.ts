import { readFile } from "node:fs/promises";

// This module sits at src/account/passwords/ (and dist/account/passwords/ once built): three levels
// up is the package root in both cases, where data/ is shipped (package.json "files").
const COMMON_PASSWORDS_FILE = new URL("../../../data/common-passwords.txt", import.meta.url);

let commonPasswords: Promise<ReadonlySet<string>> | undefined;

/**
 * The common-password blocklist (lowercase), read once from data/common-passwords.txt.
 * Concurrent first callers share one read; a failed read is not cached, so a later call retries.
 */
export function loadCommonPasswords(): Promise<ReadonlySet<string>> {
  commonPasswords ??= readFile(COMMON_PASSWORDS_FILE, "utf8").then(
    (text) => {
      const passwords = new Set<string>();
      for (const line of text.split("\n")) {
        const password = line.trim();
        if (password !== "") passwords.add(password);
      }
      return passwords;
    },
    (error: unknown) => {
      commonPasswords = undefined;
      throw error;
    },
  );
  return commonPasswords;
}

/** Whether the password is on the blocklist, compared as Django does: lowercased and stripped. */
export async function isCommonPassword(password: string): Promise<boolean> {
  const passwords = await loadCommonPasswords();
  return passwords.has(password.toLowerCase().trim());
}
