#!/usr/bin/env node
// Builds data/common-passwords.txt, the blocklist behind the `password_too_common` check.
//
// Source: the `passwords` frequency list of the zxcvbn package (MIT licence, Dropbox), itself
// ranked from leaked-password corpora. zxcvbn is only a dev dependency: this script is run once
// by hand (`node scripts/build-common-passwords.mjs`) and the generated file is committed, so the
// runtime never loads zxcvbn.
//
// Output: one lowercase password per line, most common first, deduplicated (first rank wins),
// like Django's common-passwords.txt.gz. Django ships 20,000 entries; we refuse to write fewer.
import { writeFile } from "node:fs/promises";
import { createRequire } from "node:module";

const MINIMUM_ENTRIES = 20_000;

const require = createRequire(import.meta.url);
const frequencyLists = require("zxcvbn/lib/frequency_lists.js");
const ranked = frequencyLists.passwords;
if (!Array.isArray(ranked)) {
  throw new Error("zxcvbn/lib/frequency_lists.js has no `passwords` list");
}

const seen = new Set();
const passwords = [];
for (const entry of ranked) {
  const password = String(entry).trim().toLowerCase();
  // A newline inside an entry would split it into two lines of the data file.
  if (password === "" || /[\r\n]/.test(password) || seen.has(password)) continue;
  seen.add(password);
  passwords.push(password);
}

if (passwords.length < MINIMUM_ENTRIES) {
  throw new Error(`only ${passwords.length} passwords; at least ${MINIMUM_ENTRIES} are required`);
}

const target = new URL("../data/common-passwords.txt", import.meta.url);
await writeFile(target, `${passwords.join("\n")}\n`, "utf8");
console.log(
  `wrote ${passwords.length} passwords (from ${ranked.length} zxcvbn entries) to ${target.pathname}`,
);
