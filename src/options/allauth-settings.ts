import { isDeepStrictEqual } from "node:util";
import { isObject } from "./allauth-providers.js";
import {
  type AllauthAssignment,
  AllauthSettingError,
  fail,
  SETTINGS,
  type SettingRule,
  UNSUPPORTED_PREFIXES,
  unsupported,
} from "./allauth-table.js";
import { OptionsError } from "./resolve.js";
import type { LatchkeyOptions } from "./schema.js";

/**
 * A Latchkey options object with allauth's Django settings beside Latchkey's own keys, so that
 * someone moving from allauth can copy their settings over. Each setting becomes the option(s)
 * SETTINGS (allauth-table.ts) says; their values are then checked by the options schema like
 * Latchkey's own, and an error there names the setting it came from.
 */

/** An allauth setting found in the options, and what it became. */
export interface TranslatedSetting {
  name: string;
  value: unknown;
  assignments: AllauthAssignment[];
  /** Why a setting that sets nothing is accepted (e.g. HEADLESS_ONLY true: Latchkey always is). */
  note?: string;
}

export interface AllauthTranslation {
  /** Latchkey's options: the object's own keys, and what its allauth settings became. Not yet validated. */
  options: LatchkeyOptions;
  /** The allauth settings, in the order written. */
  settings: TranslatedSetting[];
}

/** Keys written as allauth's settings are: UPPER_CASE (Latchkey's own are camelCase). */
export function isAllauthSettingName(key: string): boolean {
  return /^[A-Z][A-Z0-9_]*$/.test(key);
}

function ruleOf(name: string): SettingRule {
  const rule = Object.hasOwn(SETTINGS, name) ? SETTINGS[name] : undefined;
  if (rule) return rule;
  const family = UNSUPPORTED_PREFIXES.find(([prefix]) => name.startsWith(prefix));
  if (family) return unsupported(family[1]);
  const suggestion = closest(name, Object.keys(SETTINGS));
  return fail(name, `unknown allauth setting${suggestion ? ` (did you mean ${suggestion}?)` : ""}`);
}

/** The known name a misspelt one most likely meant: at most 3 edits away. */
function closest(name: string, names: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = 4;
  for (const candidate of names) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}

function translate(name: string, value: unknown): TranslatedSetting {
  const rule = ruleOf(name);
  if ("unsupported" in rule) fail(name, `not supported by Latchkey: ${rule.unsupported}`);
  return { name, value, ...rule.convert(value, name) };
}

/** Where the options object already sets `path` itself, or an option above or below it; null when nowhere. */
function ownedAt(options: Record<string, unknown>, target: readonly string[]): string | null {
  let node: Record<string, unknown> = options;
  for (let i = 0; i < target.length; i++) {
    const value = node[target[i]!];
    if (value === undefined) return null;
    if (i === target.length - 1 || !isObject(value)) return target.slice(0, i + 1).join(".");
    node = value;
  }
  return null;
}

const overlaps = (a: readonly string[], b: readonly string[]) =>
  a.slice(0, Math.min(a.length, b.length)).every((key, i) => key === b[i]);

function setPath(target: Record<string, unknown>, at: readonly string[], value: unknown): void {
  let node = target;
  for (const key of at.slice(0, -1)) {
    if (!isObject(node[key])) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[at[at.length - 1]!] = value;
}

/**
 * Latchkey's options from an object that may mix Latchkey's own keys (camelCase) and allauth's
 * settings (UPPER_CASE) at its top level. Throws AllauthSettingError for an unknown or unsupported
 * setting, a value with no counterpart, and an option given both ways (or by two settings).
 */
export function fromAllauthSettings(input: Readonly<Record<string, unknown>>): AllauthTranslation {
  const options: Record<string, unknown> = {};
  const settings: TranslatedSetting[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (isAllauthSettingName(key)) settings.push(translate(key, value));
    else options[key] = structuredClone(value);
  }
  const claimed: { path: readonly string[]; by: string }[] = [];
  for (const setting of settings) {
    for (const { path: at } of setting.assignments) {
      const own = ownedAt(options, at);
      if (own !== null) {
        fail(setting.name, `given both ways, as this allauth setting and as ${own}; keep one`);
      }
      const other = claimed.find((c) => overlaps(c.path, at));
      if (other) fail(setting.name, `sets ${at.join(".")}, as ${other.by} does; keep one`);
      claimed.push({ path: at, by: setting.name });
    }
  }
  for (const setting of settings) {
    for (const { path: at, value } of setting.assignments) setPath(options, at, structuredClone(value));
  }
  return { options: options as LatchkeyOptions, settings };
}

function valueAt(options: unknown, at: readonly string[]): unknown {
  let node = options;
  for (const key of at) {
    if (!isObject(node)) return undefined;
    node = node[key];
  }
  return node;
}

/** Marks the assignments that `final` (the options once LATCHKEY_* variables are applied) no longer holds. */
export function markOverridden(settings: readonly TranslatedSetting[], final: unknown): TranslatedSetting[] {
  return settings.map((setting) => ({
    ...setting,
    assignments: setting.assignments.map((a) => ({
      ...a,
      overridden: !isDeepStrictEqual(valueAt(final, a.path), a.value),
    })),
  }));
}

/** Option keys whose values are never printed. */
const SECRET_KEYS = new Set(["secret", "privateKey", "smtpPassword", "certificateKey"]);

function redacted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redacted);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [key, SECRET_KEYS.has(key) && v ? "***" : redacted(v)]),
  );
}

function shown(value: unknown, secret: boolean): string {
  return secret && value ? "***" : JSON.stringify(redacted(value));
}

/** Whether a value is short enough to repeat on the setting's side of a line (not an object). */
const isPlain = (value: unknown) =>
  !isObject(value) && !(Array.isArray(value) && value.some((v) => isObject(v) || Array.isArray(v)));

/**
 * What each setting became, one line per option it set, e.g.
 * `ACCOUNT_EMAIL_VERIFICATION = "mandatory" → account.emailVerification = "mandatory"`.
 * Secrets are shown as ***.
 */
export function describeAllauthSettings(settings: readonly TranslatedSetting[]): string[] {
  const lines: string[] = [];
  for (const setting of settings) {
    if (setting.assignments.length === 0) {
      lines.push(`${setting.name} = ${shown(setting.value, false)} → nothing to set (${setting.note})`);
    }
    for (const a of setting.assignments) {
      const secret = SECRET_KEYS.has(a.path[a.path.length - 1]!);
      const source = a.part ? a.part.value : setting.value;
      const left = `${setting.name}${a.part ? `[${JSON.stringify(a.part.key)}]` : ""}`;
      const written = isPlain(source) ? `${left} = ${shown(source, secret)}` : left;
      const overridden = a.overridden ? " (overridden by a LATCHKEY_ variable)" : "";
      lines.push(`${written} → ${a.path.join(".")} = ${shown(a.value, secret)}${overridden}`);
    }
  }
  return lines;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * An options error in the words of the config file: an error on an option an allauth setting set
 * names that setting (`ACCOUNT_EMAIL_VERIFICATION → account.emailVerification: …`), and options
 * it mentions that came from settings are followed by their setting's name. Other errors are
 * returned as they are.
 */
export function attributeToAllauthSettings(err: unknown, settings: readonly TranslatedSetting[]): unknown {
  if (!(err instanceof OptionsError) || err instanceof AllauthSettingError) return err;
  const live = settings.flatMap((s) =>
    s.assignments.filter((a) => !a.overridden).map((a) => ({ name: s.name, option: a.path.join(".") })),
  );
  if (live.length === 0) return err;
  const prefix = `Invalid Latchkey option ${err.path}: `;
  const original = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
  const owner = live.find(({ option }) => err.path === option || err.path.startsWith(`${option}.`));
  let reason = original;
  for (const { name, option } of live) {
    if (option === owner?.option) continue;
    // The whole path only: not a part of a longer one, and a sentence's full stop may follow.
    const mention = new RegExp(`(?<![\\w.])${escapeRegExp(option)}(?!\\w|\\.\\w)`, "g");
    reason = reason.replace(mention, `$& (${name})`);
  }
  if (owner) return new AllauthSettingError(owner.name, reason, err.path);
  return reason === original ? err : new OptionsError(err.path, reason);
}
