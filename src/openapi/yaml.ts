/**
 * JSON-compatible data as YAML (block style): mappings and sequences indented by two spaces,
 * multi-line strings as literal blocks, plain scalars where no YAML 1.1 or 1.2 parser could read
 * them as anything but the string, every other string double-quoted as JSON writes it (a JSON
 * string is a valid YAML double-quoted scalar). Parses back to the same data.
 */
export function toYaml(value: unknown): string {
  return isBlock(value) ? `${lines(value, 0).join("\n")}\n` : `${scalar(value, 0)}\n`;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isBlock(value: unknown): value is Json[] | Record<string, Json> {
  if (Array.isArray(value)) return value.length > 0;
  return value !== null && typeof value === "object" && Object.keys(value).length > 0;
}

/** A non-empty mapping or sequence, as lines indented by `indent`. */
function lines(value: Json[] | Record<string, Json>, indent: number): string[] {
  const pad = " ".repeat(indent);
  const out: string[] = [];
  if (Array.isArray(value)) {
    for (const item of value) {
      if (isBlock(item)) {
        // The item's first line goes after the dash: "- key: value", then the rest under it.
        const [first, ...rest] = lines(item, indent + 2);
        out.push(`${pad}- ${first!.slice(indent + 2)}`, ...rest);
      } else {
        out.push(`${pad}- ${scalar(item, indent + 2)}`);
      }
    }
    return out;
  }
  for (const [key, item] of Object.entries(value)) {
    if (isBlock(item)) out.push(`${pad}${plainOrQuoted(key)}:`, ...lines(item, indent + 2));
    else out.push(`${pad}${plainOrQuoted(key)}: ${scalar(item, indent + 2)}`);
  }
  return out;
}

/** A scalar (or an empty collection); a multi-line string becomes a literal block indented by `indent`. */
function scalar(value: unknown, indent: number): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean" || typeof value === "number") return JSON.stringify(value);
  if (Array.isArray(value)) return "[]";
  if (typeof value === "object") return "{}";
  const text = String(value);
  if (literalBlockFits(text)) {
    const keep = text.endsWith("\n");
    const body = keep ? text.slice(0, -1) : text;
    const pad = " ".repeat(indent);
    return `|${keep ? "" : "-"}\n${body
      .split("\n")
      .map((line) => (line === "" ? "" : pad + line))
      .join("\n")}`;
  }
  return plainOrQuoted(text);
}

/** Words YAML 1.1 parsers read as booleans or null. */
const RESERVED = /^(?:y|n|yes|no|on|off|true|false|null|~)$/i;
/** Text that reads as a string in plain style: a letter, `_`, `$` or `/` first; no `:`, `#`, quotes or brackets. */
const PLAIN = /^[A-Za-z_$/][A-Za-z0-9_$/ .+-]*$/;

function plainOrQuoted(text: string): string {
  return PLAIN.test(text) && !text.endsWith(" ") && !RESERVED.test(text) ? text : JSON.stringify(text);
}

/**
 * A literal block keeps the text as written: it must span lines, hold only printable characters,
 * not start with a space (that would need an indentation indicator) and end with at most one newline.
 */
function literalBlockFits(text: string): boolean {
  return (
    text.includes("\n") &&
    !text.startsWith(" ") &&
    !text.startsWith("\n") &&
    !text.endsWith("\n\n") &&
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
    !/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/.test(text) &&
    !/ \n| $/.test(text)
  );
}
