import type { ApiRequest } from "./exchange.js";

/** Why a request body was refused; "aborted": it never arrived in full (the client went away or was cut off). */
export type BodyProblem = "too_large" | "invalid_json" | "not_an_object" | "aborted";

export type BodyResult = { ok: true; value: Record<string, unknown> } | { ok: false; problem: BodyProblem };

/** The formats a route's body may come in. */
export type BodyFormat = "json" | "form";

/**
 * Reads a body as a JSON object, or as an HTML form (`application/x-www-form-urlencoded`, each
 * field's first value), refusing anything over `maxBytes` without buffering it all. An empty body
 * is `{}` (allauth treats it so, and required-field errors follow).
 */
export async function readBody(
  request: ApiRequest,
  maxBytes: number,
  format: BodyFormat,
): Promise<BodyResult> {
  const raw = await readText(request, maxBytes);
  if (!raw.ok) return raw;
  const text = raw.text;
  if (text.trim() === "") return { ok: true, value: {} };
  if (format === "form") {
    const value: Record<string, unknown> = {};
    for (const [name, field] of new URLSearchParams(text))
      if (!Object.hasOwn(value, name)) value[name] = field;
    return { ok: true, value };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, problem: "invalid_json" };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return { ok: false, problem: "not_an_object" };
  }
  return { ok: true, value: parsed as Record<string, unknown> };
}

async function readText(
  request: ApiRequest,
  maxBytes: number,
): Promise<{ ok: true; text: string } | { ok: false; problem: BodyProblem }> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) return { ok: false, problem: "too_large" };
  if (!request.body) return { ok: true, text: "" };
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        return { ok: false, problem: "too_large" };
      }
      chunks.push(value);
    }
  } catch {
    // A request body stream fails only when the body stops short of its end.
    return { ok: false, problem: "aborted" };
  }
  return { ok: true, text: size === 0 ? "" : Buffer.concat(chunks, size).toString("utf8") };
}
