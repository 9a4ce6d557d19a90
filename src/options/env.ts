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
  const why = schema.safeParse(schema instanceof z.ZodArray ? list : value).error?.issues[0]?.message;
  throw new OptionsError(name, `"${raw}" is not a valid value${why ? ` (${why})` : ""}`);
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
