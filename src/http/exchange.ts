/**
 * The request and answer the pipeline works on. A Web `Request` is an ApiRequest, so
 * `latchkey.handler(request)` passes it straight in; the Node adapter passes a lighter object
 * over IncomingMessage and writes the answer itself, skipping the cost of Web Request/Response
 * objects on the hot path.
 */
export interface ApiRequest {
  readonly method: string;
  /** Absolute URL. */
  readonly url: string;
  readonly headers: { get(name: string): string | null };
  /** The body; null when there is none. */
  readonly body: ReadableStream<Uint8Array> | null;
}

export interface ApiAnswer {
  status: number;
  /** Lowercase names; Set-Cookie may repeat. */
  headers: [string, string][];
  /** JSON text, or null for no body (HEAD, 204). */
  body: string | null;
}

/** The Web Response of an answer. */
export function toResponse(answer: ApiAnswer): Response {
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}

/** The path of an absolute URL, without query (no URL object: this runs on every request). */
export function pathOf(url: string): string {
  const scheme = url.indexOf("://");
  const start = url.indexOf("/", scheme === -1 ? 0 : scheme + 3);
  if (start === -1) return "/";
  let end = url.length;
  const query = url.indexOf("?", start);
  if (query !== -1) end = query;
  const hash = url.indexOf("#", start);
  if (hash !== -1 && hash < end) end = hash;
  return url.slice(start, end);
}

let httpDate = "";
let httpDateSecond = -1;

/** The current time as an HTTP date, computed at most once a second. */
export function currentHttpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== httpDateSecond) {
    httpDateSecond = second;
    httpDate = new Date(now).toUTCString();
  }
  return httpDate;
}
