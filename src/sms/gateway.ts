/**
 * Posting a text to an HTTP gateway (the webhook and Twilio transports): one request per attempt,
 * each bounded by a timeout, retried with exponential backoff when the failure may pass (a
 * network error, a timeout, 408, 429 or 5xx). Any other answer is final.
 */

/** How hard an HTTP transport tries. */
export interface HttpDelivery {
  /** The longest one attempt may take. */
  timeoutMs: number;
  /** Further attempts after a failure that may pass. */
  retries: number;
  /** Wait before the first retry; doubled before each next one. */
  retryDelayMs: number;
}

export const DEFAULT_HTTP_DELIVERY: Readonly<HttpDelivery> = Object.freeze({
  timeoutMs: 5000,
  retries: 2,
  retryDelayMs: 500,
});

/** A gateway refused or could not be reached; `status` is its HTTP status when it answered. */
export class GatewayError extends Error {
  constructor(
    message: string,
    readonly attempts: number,
    readonly status?: number,
  ) {
    super(message);
    this.name = "GatewayError";
  }
}

/** One request as the transport builds it (built again for each attempt). */
export interface GatewayRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** Told about each failed attempt that will be retried. */
export type RetryListener = (failure: { attempt: number; reason: string; delayMs: number }) => void;

const MAX_DETAIL = 300;

function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** The start of what a gateway answered, for the log (its error text says what went wrong). */
async function detail(response: Response): Promise<string> {
  try {
    const text = (await response.text()).replace(/\s+/g, " ").trim();
    return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL)}…` : text;
  } catch {
    return "";
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * POSTs until the gateway answers 2xx (returned) or the attempts run out (GatewayError). `signal`
 * aborts everything (the sender closing).
 */
export async function postToGateway(
  build: () => GatewayRequest,
  delivery: HttpDelivery,
  signal: AbortSignal,
  onRetry: RetryListener,
): Promise<Response> {
  const attempts = delivery.retries + 1;
  for (let attempt = 1; ; attempt++) {
    const request = build();
    let reason: string;
    let status: number | undefined;
    try {
      const response = await fetch(request.url, {
        method: "POST",
        headers: request.headers,
        body: request.body,
        redirect: "error",
        signal: AbortSignal.any([signal, AbortSignal.timeout(delivery.timeoutMs)]),
      });
      if (response.ok) return response;
      status = response.status;
      const said = await detail(response);
      reason = `gateway answered ${status}${said ? `: ${said}` : ""}`;
      if (!retryable(status)) throw new GatewayError(reason, attempt, status);
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      if (signal.aborted) throw new GatewayError("aborted: the sender closed", attempt);
      const error = err as Error;
      reason =
        error.name === "TimeoutError"
          ? `no answer within ${delivery.timeoutMs} ms`
          : `request failed: ${error.message}${causeOf(error)}`;
    }
    if (attempt >= attempts) throw new GatewayError(reason, attempt, status);
    const delayMs = delivery.retryDelayMs * 2 ** (attempt - 1);
    onRetry({ attempt, reason, delayMs });
    try {
      await sleep(delayMs, signal);
    } catch {
      throw new GatewayError(`aborted: the sender closed (after: ${reason})`, attempt, status);
    }
  }
}

/** fetch wraps network errors ("fetch failed"): the cause says which (ECONNREFUSED, ENOTFOUND…). */
function causeOf(error: Error): string {
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  if (!cause) return "";
  const code = typeof cause.code === "string" ? cause.code : undefined;
  const message = typeof cause.message === "string" ? cause.message : undefined;
  return code || message ? ` (${code ?? message})` : "";
}
