import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { isCommonPassword, loadCommonPasswords } from "./common.js";

const DATA_FILE = new URL("../../../data/common-passwords.txt", import.meta.url);

describe("common-password list", () => {
  it("is resolved at the package root, three levels above this folder (src/ or dist/)", async () => {
    const manifest = JSON.parse(await readFile(new URL("../../../package.json", import.meta.url), "utf8"));
    expect(manifest.name).toBe("latchkey");
    expect(manifest.files).toContain("data");
    expect(fileURLToPath(DATA_FILE)).toMatch(/[/\\]data[/\\]common-passwords\.txt$/);
  });

  it("ships at least Django's 20,000 entries, lowercase, deduplicated, one per line", async () => {
    const lines = (await readFile(DATA_FILE, "utf8")).split("\n");
    expect(lines.at(-1)).toBe("");
    const passwords = lines.slice(0, -1);
    expect(passwords.length).toBeGreaterThanOrEqual(20_000);
    expect(new Set(passwords).size).toBe(passwords.length);
    const malformed = passwords.filter(
      (password) => password === "" || password !== password.toLowerCase().trim(),
    );
    expect(malformed).toEqual([]);
    // Frequency order, most common first.
    expect(passwords.slice(0, 2)).toEqual(["123456", "password"]);
    expect((await loadCommonPasswords()).size).toBe(passwords.length);
  });

  it("recognises common passwords", async () => {
    for (const password of ["password123", "qwerty", "123456", "letmein", "godzilla", "trustno1"]) {
      expect(await isCommonPassword(password), password).toBe(true);
    }
  });

  it("compares lowercased and stripped, as Django does", async () => {
    expect(await isCommonPassword("PassWord123")).toBe(true);
    expect(await isCommonPassword("  QWERTY\t")).toBe(true);
  });

  it("lets uncommon passwords through", async () => {
    for (const password of ["a-safe-password", "correct horse battery staple", "", "Tr0ub4dor&3-latchkey"]) {
      expect(await isCommonPassword(password), password).toBe(false);
    }
  });

  it("loads the file once", async () => {
    const [first, second] = await Promise.all([loadCommonPasswords(), loadCommonPasswords()]);
    expect(first).toBe(second);
    expect(await loadCommonPasswords()).toBe(first);
  });
});
