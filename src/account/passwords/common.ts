import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";

/**
 * data/common-passwords.txt of the package root (shipped there: package.json "files"). The root is
 * the nearest folder above this module whose package.json is Latchkey's: this module sits at
 * src/account/passwords/ in a checkout, at dist/account/passwords/ once built, and in dist/cli/
 * inside the command's bundle.
 */
function commonPasswordsFile(): URL {
  for (let folder = new URL("./", import.meta.url); ; ) {
    try {
      const manifest = JSON.parse(readFileSync(new URL("package.json", folder), "utf8")) as {
        name?: unknown;
      };
      if (manifest.name === "latchkey") return new URL("data/common-passwords.txt", folder);
    } catch {
      // No package.json here (or not one that parses): keep going up.
    }
    const parent = new URL("../", folder);
    if (parent.href === folder.href) throw new Error("latchkey: the package root (with data/) was not found");
    folder = parent;
  }
}

let commonPasswords: Promise<ReadonlySet<string>> | undefined;

/**
 * The common-password blocklist (lowercase), read once from data/common-passwords.txt.
 * Concurrent first callers share one read; a failed read is not cached, so a later call retries.
 */
export function loadCommonPasswords(): Promise<ReadonlySet<string>> {
  commonPasswords ??= Promise.resolve()
    .then(() => readFile(commonPasswordsFile(), "utf8"))
    .then(
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
