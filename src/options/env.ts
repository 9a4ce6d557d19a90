import { z } from "zod";
import { OptionsError } from "./resolve.js";

/**
 * `LATCHKEY_<PATH>` overrides for the CLI: the path of each option leaf in SCREAMING_SNAKE_CASE,
 * e.g. account.loginMethods → LATCHKEY_ACCOUNT_LOGIN_METHODS. Arrays are comma-separated,
 * booleans are true/false, numbers are numbers, `null` clears a nullable option, and
 * LATCHKEY_RATE_LIMITS=false turns rate limiting off.
 */
export function applyEnvironment(
  base: Record<string, unknown>,
  env: Record<string, string | undefined>,
  schema: z.ZodType,
): Record<string, unknown> {
  const result = structuredClone(base);
  const leaves = optionLeaves(schema);
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith("LATCHKEY_") || raw === undefined) continue;
    const leaf = leaves.get(name);
    if (!leaf) throw new OptionsError(name, "no option has this name (see the README for the list)");
    setPath(result, leaf.path, convert(raw, leaf.schema, name));
  }
  return result;
}

interface Leaf {
  path: string[];
  schema: z.ZodType;
}

const leafCache = new WeakMap<z.ZodType, Map<string, Leaf>>();

/** Every environment variable name the options schema accepts, with its path and schema. */
export function optionLeaves(schema: z.ZodType): Map<string, Leaf> {
  const cached = leafCache.get(schema);
  if (cached) return cached;
  const leaves = new Map<string, Leaf>();
  const walk = (schema: z.ZodType, path: string[]) => {
    const inner = unwrap(schema);
    const object = objectBranch(inner);
    if (object) {
      if (object !== inner && path.length > 0) leaves.set(envName(path), { path, schema: inner });
      for (const [key, child] of Object.entries(object.shape)) walk(child as z.ZodType, [...path, key]);
      return;
    }
    leaves.set(envName(path), { path, schema: inner });
  };
  walk(schema, []);
  leafCache.set(schema, leaves);
  return leaves;
}

export function envName(path: string[]): string {
  return `LATCHKEY_${path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()).join("_")}`;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodPrefault) {
      s = s.def.innerType as z.ZodType;
    } else {
      return s;
    }
  }
}

function objectBranch(schema: z.ZodType): z.ZodObject | undefined {
  if (schema instanceof z.ZodObject) return schema;
  if (schema instanceof z.ZodUnion) {
    for (const option of schema.options as z.ZodType[]) {
      const o = unwrap(option);
      if (o instanceof z.ZodObject) return o;
    }
  }
  return undefined;
}

function convert(raw: string, schema: z.ZodType, name: string): unknown {
  const value = raw.trim();
  if (value === "null" && accepts(schema, null)) return null;
  // Typed readings first, so that unions such as `string | false` (rate specs) or
  // `boolean | string[]` (loginByCode.required) get the boolean or the list, not the text.
  const candidates: unknown[] = [];
  if (value === "true" || value === "false") candidates.push(value === "true");
  if (value !== "" && !Number.isNaN(Number(value))) candidates.push(Number(value));
  const list = value === "" ? [] : value.split(",").map((v) => v.trim());
  candidates.push(value, list);
  // A map (the `messages` translations) is written as a JSON object.
  if (value.startsWith("{")) {
    try {
      candidates.push(JSON.parse(value));
    } catch {
      // Not JSON: the other readings decide.
    }
  }
  for (const candidate of candidates) {
    if (accepts(schema, candidate)) return candidate;
  }
  const expected = expectation(schema, name);
  if (expected !== null) throw new OptionsError(name, `${expected}, not "${raw}"`);
  const why = schema.safeParse(schema instanceof z.ZodArray ? list : value).error?.issues[0]?.message;
  throw new OptionsError(name, `"${raw}" is not a valid value${why ? ` (${why})` : ""}`);
}

/**
 * What a variable must hold, said the way its value is written: "must be a positive whole number
 * of seconds", "expected true or false"… Null for shapes without a short description (then the
 * schema's own message is given).
 */
function expectation(schema: z.ZodType, name: string): string | null {
  if (schema instanceof z.ZodNullable) {
    const inner = expectation(schema.def.innerType as z.ZodType, name);
    return inner === null ? null : `${inner}, or null`;
  }
  if (schema instanceof z.ZodBoolean) return "expected true or false";
  if (schema instanceof z.ZodEnum) return `expected one of ${schema.options.join(", ")}`;
  if (schema instanceof z.ZodArray && schema.element instanceof z.ZodEnum) {
    return `expected a comma-separated list of ${schema.element.options.join(", ")}`;
  }
  if (schema instanceof z.ZodRecord) return "expected a JSON object";
  if (schema instanceof z.ZodUnion) {
    // A section that can also be switched off (rateLimits: false): its fields have variables of their own.
    const options = (schema.options as z.ZodType[]).filter((option) => !(option instanceof z.ZodObject));
    if (options.length === 0 || !options.every((option) => option instanceof z.ZodLiteral)) return null;
    return `expected ${options.flatMap((option) => [...(option as z.ZodLiteral).values].map(String)).join(" or ")}`;
  }
  if (schema instanceof z.ZodNumber) return `must be ${numberKind(schema, unitOf(name))}`;
  return null;
}

/** "a positive whole number of seconds", "a whole number from 6 to 8", "a number from 0.1 to 1"… */
function numberKind(schema: z.ZodNumber, unit: string): string {
  const kind = `${schema.isInt ? "whole number" : "number"}${unit}`;
  const min = schema.minValue;
  const max = schema.maxValue !== null && schema.maxValue < Number.MAX_SAFE_INTEGER ? schema.maxValue : null;
  if (min === 0 && max === null) return accepts(schema, 0) ? `a ${kind}, 0 or more` : `a positive ${kind}`;
  if (min !== null && max !== null) return `a ${kind} from ${min} to ${max}`;
  if (min !== null) return `a ${kind}, at least ${min}`;
  return `a ${kind}`;
}

/**
 * The unit of a number, from the option's name: durations of allauth's settings (timeouts,
 * ages, expiries, cooldowns) are in seconds; Latchkey's own say theirs (…Ms, …Days, …Bytes).
 */
function unitOf(name: string): string {
  if (name.endsWith("_MS")) return " of milliseconds";
  if (name.endsWith("_DAYS")) return " of days";
  if (name.endsWith("_BYTES")) return " of bytes";
  if (/(TIMEOUT|_AGE|EXPIRES_IN|COOLDOWN)$/.test(name)) return " of seconds";
  return "";
}

function accepts(schema: z.ZodType, value: unknown): boolean {
  return schema.safeParse(value).success;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}
