import type { ApiRequest } from "./exchange.js";

/** Why a request body was refused; "aborted": it never arrived in full (the client went away or was cut off). */
export type BodyProblem = "too_large" | "invalid_json" | "not_an_object" | "aborted";

export type BodyResult = { ok: true; value: Record<string, unknown> } | { ok: false; problem: BodyProblem };

/**
 * Reads a JSON object body, refusing anything over `maxBytes` without buffering it all.
 * An empty body is `{}` (allauth treats it so, and required-field errors follow).
 */
export async function readJsonBody(request: ApiRequest, maxBytes: number): Promise<BodyResult> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) return { ok: false, problem: "too_large" };
  if (!request.body) return { ok: true, value: {} };
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
  if (size === 0) return { ok: true, value: {} };
  const text = Buffer.concat(chunks, size).toString("utf8");
  if (text.trim() === "") return { ok: true, value: {} };
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
