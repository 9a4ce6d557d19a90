/**
 * A small reader for the messages the file and SMTP transports write: enough MIME to get the
 * headers and the text and HTML bodies back out, for the tests of those transports. Not a
 * general-purpose mail parser.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

export interface ParsedMimePart {
  /** Lower-cased header names; repeated headers keep their last value. */
  headers: Record<string, string>;
  contentType: string;
  /** Decoded body of a leaf part (empty for multipart containers). */
  body: string;
  parts: ParsedMimePart[];
}

export interface ParsedEml {
  headers: Record<string, string>;
  from: string;
  to: string;
  subject: string;
  text: string | undefined;
  html: string | undefined;
  root: ParsedMimePart;
}

function splitHeaderAndBody(raw: string): [string, string] {
  const match = /\r?\n\r?\n/.exec(raw);
  if (!match) return [raw, ""];
  return [raw.slice(0, match.index), raw.slice(match.index + match[0].length)];
}

function parseHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  // Folded continuation lines start with whitespace (RFC 5322 §2.2.3).
  const unfolded = block.replace(/\r?\n(?=[ \t])/g, "");
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    headers[line.slice(0, colon).trim().toLowerCase()] = decodeEncodedWords(line.slice(colon + 1).trim());
  }
  return headers;
}

function decodeQuotedPrintableBytes(input: string, underscoreIsSpace: boolean): Buffer {
  const bytes: number[] = [];
  const source = input.replace(/=\r?\n/g, "");
  for (let index = 0; index < source.length; index++) {
    const char = source[index]!;
    if (char === "=" && /^[0-9A-Fa-f]{2}$/.test(source.slice(index + 1, index + 3))) {
      bytes.push(Number.parseInt(source.slice(index + 1, index + 3), 16));
      index += 2;
    } else if (char === "_" && underscoreIsSpace) {
      bytes.push(0x20);
    } else {
      bytes.push(...Buffer.from(char, "utf8"));
    }
  }
  return Buffer.from(bytes);
}

/** RFC 2047 encoded words (=?charset?B|Q?...?=); only UTF-8 and ASCII charsets are expected. */
function decodeEncodedWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, "?==?")
    .replace(
      /=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g,
      (_whole, _charset: string, encoding: string, text: string) =>
        encoding.toUpperCase() === "B"
          ? Buffer.from(text, "base64").toString("utf8")
          : decodeQuotedPrintableBytes(text, true).toString("utf8"),
    );
}

function headerParameter(value: string, name: string): string | undefined {
  const match = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, "i").exec(value);
  return match ? (match[1] ?? match[2]) : undefined;
}

function decodeBody(body: string, transferEncoding: string | undefined): string {
  switch ((transferEncoding ?? "7bit").toLowerCase()) {
    case "quoted-printable":
      return decodeQuotedPrintableBytes(body, false).toString("utf8");
    case "base64":
      return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
    default:
      return body;
  }
}

function parsePart(raw: string): ParsedMimePart {
  const [headerBlock, body] = splitHeaderAndBody(raw);
  const headers = parseHeaders(headerBlock);
  const contentTypeHeader = headers["content-type"] ?? "text/plain";
  const contentType = contentTypeHeader.split(";")[0]!.trim().toLowerCase();
  if (contentType.startsWith("multipart/")) {
    const boundary = headerParameter(contentTypeHeader, "boundary");
    if (!boundary) return { headers, contentType, body: "", parts: [] };
    const delimiter = `--${boundary}`;
    const sections = body.split(new RegExp(`\\r?\\n?${delimiter.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    // First section is the preamble; the one after the closing delimiter ("--") is the epilogue.
    const parts = sections
      .slice(1)
      .filter((section) => !section.startsWith("--"))
      .map((section) => parsePart(section.replace(/^[ \t]*\r?\n/, "")));
    return { headers, contentType, body: "", parts };
  }
  // Text travels with CRLF line ends (RFC 5322); callers compare against LF strings.
  const decoded = decodeBody(body, headers["content-transfer-encoding"]);
  return { headers, contentType, body: decoded.replace(/\r\n/g, "\n"), parts: [] };
}

function findBody(part: ParsedMimePart, contentType: string): string | undefined {
  if (part.parts.length === 0) return part.contentType === contentType ? part.body : undefined;
  for (const child of part.parts) {
    const found = findBody(child, contentType);
    if (found !== undefined) return found;
  }
  return undefined;
}

export function parseEml(raw: string | Buffer): ParsedEml {
  const root = parsePart(typeof raw === "string" ? raw : raw.toString("utf8"));
  return {
    headers: root.headers,
    from: root.headers.from ?? "",
    to: root.headers.to ?? "",
    subject: root.headers.subject ?? "",
    text: findBody(root, "text/plain"),
    html: findBody(root, "text/html"),
    root,
  };
}

/** The .eml files of a file-transport directory in send order (temporary files are skipped). */
export async function readMailDirectory(directory: string): Promise<Array<ParsedEml & { file: string }>> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT") return [];
    throw error;
  }
  const files = names.filter((name) => name.endsWith(".eml") && !name.startsWith(".")).sort();
  return Promise.all(
    files.map(async (name) => {
      const file = join(directory, name);
      return { ...parseEml(await readFile(file)), file };
    }),
  );
}
