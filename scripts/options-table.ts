/**
 * Prints a Markdown table of every option: path, LATCHKEY_* variable, default, description.
 * Run with `npx tsx scripts/options-table.ts` and paste the output into the README.
 *
 * Descriptions come from the `/** … *\/` comments of the option schemas (the core's in
 * src/options/schema.ts, each area's in its options.ts), matched to option paths by reading the
 * source (keys nest by indentation). An option without its own comment
 * inside a group documented as `SETTING_*: …` is described by its allauth setting name.
 * Options without any description are listed on stderr.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { DEFAULT_RATE_LIMITS } from "../src/http/ratelimit/spec.js";
import { optionsSchema, resolveOptions } from "../src/latchkey.js";
import { optionLeaves } from "../src/options/env.js";

/** Where option schemas are written: a file, the part of it, and the option path it starts at. */
const SOURCES: { file: string; from: string; to: string; root: string[] }[] = [
  {
    file: "options/schema.ts",
    from: "function rateLimitsSchema",
    to: "export const coreOptionsSchema",
    root: ["rateLimits"],
  },
  {
    file: "options/schema.ts",
    from: "export const coreOptionsSchema",
    to: "export interface AreaOptions",
    root: [],
  },
  {
    file: "account/options.ts",
    from: "export const accountOptions",
    to: "export const passwordOptions",
    root: ["account"],
  },
  {
    file: "account/options.ts",
    from: "export const passwordOptions",
    to: "export const smsOptions",
    root: ["password"],
  },
  { file: "account/options.ts", from: "export const smsOptions", to: "declare module", root: ["sms"] },
  { file: "mfa/options.ts", from: "export const mfaOptions", to: "declare module", root: ["mfa"] },
  {
    file: "social/options.ts",
    from: "export const socialaccountOptions",
    to: "declare module",
    root: ["socialaccount"],
  },
  {
    file: "usersessions/options.ts",
    from: "export const usersessionsOptions",
    to: "declare module",
    root: ["usersessions"],
  },
  {
    file: "compact/options.ts",
    from: "export const compactApiOptions",
    to: "declare module",
    root: ["compactApi"],
  },
];

/** Doc comments by option path ("account.loginByCode.required"), groups included. */
function docComments(): Map<string, string> {
  const docs = new Map<string, string>();
  for (const source of SOURCES) {
    const text = readFileSync(new URL(`../src/${source.file}`, import.meta.url), "utf8");
    const part = text.slice(text.indexOf(source.from), text.indexOf(source.to, text.indexOf(source.from)));
    readComments(part, source.root, docs);
  }
  return docs;
}

function readComments(text: string, root: string[], docs: Map<string, string>): void {
  const lines = text.split("\n");
  const stack: { indent: number; key: string }[] = root.map((key) => ({ indent: -1, key }));
  let pending: string | null = null;
  let comment: string[] | null = null;
  for (const line of lines) {
    const trimmed = line.trim();
    if (comment !== null) {
      comment.push(
        trimmed
          .replace(/^\*\/?/, "")
          .replace(/\*\/$/, "")
          .trim(),
      );
      if (trimmed.endsWith("*/")) {
        pending = comment.filter(Boolean).join(" ");
        comment = null;
      }
      continue;
    }
    if (trimmed.startsWith("/**")) {
      const body = trimmed.slice(3);
      if (body.endsWith("*/")) pending = body.slice(0, -2).trim();
      else comment = [body.trim()];
      continue;
    }
    const key = /^(\s*)([A-Za-z_][A-Za-z0-9_]*): /.exec(line);
    if (key) {
      const indent = key[1]!.length;
      while (stack.length > root.length && stack[stack.length - 1]!.indent >= indent) stack.pop();
      stack.push({ indent, key: key[2]! });
      if (pending !== null) docs.set(stack.map((s) => s.key).join("."), pending);
    }
    if (trimmed !== "") pending = null;
  }
}

/** allauth's spelling of a setting suffix: cookieSameSite → COOKIE_SAMESITE. */
function screaming(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toUpperCase()
    .replace("SAME_SITE", "SAMESITE");
}

function describeOption(path: string[], docs: Map<string, string>): string {
  const own = docs.get(path.join("."));
  if (own) return own;
  const group = docs.get(path.slice(0, -1).join("."));
  // "MFA_TOTP_*." documents mfa.totp.digits as MFA_TOTP_DIGITS.
  const prefix = group ? /^([A-Z][A-Z_]*_)\*/.exec(group) : null;
  const leaf = path[path.length - 1]!;
  if (path[0] === "rateLimits" && path[1] === "actions") {
    return `ACCOUNT_RATE_LIMITS["${leaf}"]: "n/period[/ip|user|key]" rules, comma-separated; \`false\` turns this one off.`;
  }
  if (prefix) return `${prefix[1]}${screaming(leaf)}.`;
  // "HEADLESS_FRONTEND_URLS: links put in mail…" documents frontendUrls.accountSignup as its `account_signup` key.
  const setting = group ? /^([A-Z][A-Z_]+): (.*)$/.exec(group) : null;
  if (setting) return `${setting[1]} \`${screaming(leaf).toLowerCase()}\`: ${setting[2]}`;
  if (group) return group;
  if (path.join(".") === "rateLimits")
    return "`false` turns every rate limit off (ACCOUNT_RATE_LIMITS = False).";
  // Django's names for the cookie settings.
  if (path[0] === "sessions" || path[0] === "csrf") {
    const django = path[0] === "sessions" ? "SESSION" : "CSRF";
    return `${django}_${screaming(leaf)}.`;
  }
  return "";
}

/** "One of …" for enums (and lists of them), from the schema. */
function choices(schema: z.ZodType): string {
  const inner = schema instanceof z.ZodArray ? (schema.element as z.ZodType) : schema;
  if (inner instanceof z.ZodEnum) {
    const values = inner.options.map((v) => `\`${String(v)}\``).join(", ");
    return schema instanceof z.ZodArray ? `Any of ${values}.` : `One of ${values}.`;
  }
  return "";
}

function valueAt(root: unknown, path: string[]): unknown {
  let node = root;
  for (const key of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function formatDefault(path: string[], defaults: unknown): string {
  if (path[0] === "rateLimits" && path[1] === "actions") {
    const action = path[2] as keyof typeof DEFAULT_RATE_LIMITS;
    const spec = `\`${JSON.stringify(DEFAULT_RATE_LIMITS[action])}\``;
    return action === "confirm_email" ? `${spec} (\`"1/10s/key"\` with verification by code)` : spec;
  }
  if (path.length === 1 && path[0] === "rateLimits") return "on (in memory)";
  const value = valueAt(defaults, path);
  return value === undefined ? "" : `\`${JSON.stringify(value)}\``;
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

const docs = docComments();
const defaults = resolveOptions();
const rows = ["| Option | Environment variable | Default | Description |", "|---|---|---|---|"];
const undocumented: string[] = [];
for (const [name, leaf] of optionLeaves(optionsSchema())) {
  const description = [describeOption(leaf.path, docs), choices(leaf.schema)].filter(Boolean).join(" ");
  if (!description) undocumented.push(leaf.path.join("."));
  rows.push(
    `| \`${leaf.path.join(".")}\` | \`${name}\` | ${cell(formatDefault(leaf.path, defaults))} | ${cell(description)} |`,
  );
}
console.log(rows.join("\n"));
if (undocumented.length > 0) {
  console.error(`${undocumented.length} option(s) without a description: ${undocumented.join(", ")}`);
}
