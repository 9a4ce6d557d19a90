/**
 * How mail and texts leave: a send is handed to its transport and awaited at most `timeoutMs`
 * (the answer to the user does not wait on a slow server), then goes on in the background; every
 * outcome is logged, never thrown; close() lets what is in flight finish, then aborts it.
 */

/** pino-compatible subset. */
export interface DispatchLogger {
  info(obj: object, msg?: string): void;
  warn?(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface Dispatcher<M> {
  /** Resolves when the message is handed over, or after the timeout; never rejects. */
  send(message: M): Promise<void>;
  /** Waits for sends in flight (one timeout), then aborts the rest. */
  close(): Promise<void>;
}

export interface DispatchSpec<M> {
  /** "mail" or "sms": the first word of the log lines of a send. */
  noun: string;
  /** What the log calls the dispatcher itself ("mailer", "sms sender"). */
  name: string;
  /** The transport's name, logged. */
  transport: string;
  timeoutMs: number;
  /** Hands one message over; `log` is the dispatcher's own (a logger that throws is silenced). */
  deliver(message: M, signal: AbortSignal, log: Required<DispatchLogger>): Promise<object>;
  /** What is logged of a message: addressee and kind, never the body (it carries keys and codes). */
  describe(message: M): object;
}

/** The name, message and the details transports attach (status, attempts, code) of a failure. */
export function errorDetails(error: unknown): object {
  if (error instanceof Error) {
    const extra = error as { status?: unknown; attempts?: unknown; code?: unknown };
    return {
      name: error.name,
      message: error.message,
      ...(extra.status !== undefined ? { status: extra.status } : {}),
      ...(extra.attempts !== undefined ? { attempts: extra.attempts } : {}),
      ...(extra.code !== undefined ? { code: extra.code } : {}),
    };
  }
  return { message: String(error) };
}

/** Resolves once every promise in the set has settled, or after `ms`, whichever is first. */
async function settledWithin(promises: ReadonlySet<Promise<void>>, ms: number): Promise<void> {
  if (promises.size === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([Promise.all(promises), grace]);
  clearTimeout(timer);
}

/** A logger whose throwing cannot turn a send into a rejection (warnings go to info without warn). */
export function quietLogger(logger: DispatchLogger): Required<DispatchLogger> {
  const quiet =
    (write: (obj: object, msg?: string) => void) =>
    (obj: object, msg?: string): void => {
      try {
        write.call(logger, obj, msg);
      } catch {}
    };
  return { info: quiet(logger.info), warn: quiet(logger.warn ?? logger.info), error: quiet(logger.error) };
}

export function createDispatcher<M>(spec: DispatchSpec<M>, logger: DispatchLogger): Dispatcher<M> {
  const { noun, transport, timeoutMs } = spec;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
    throw new RangeError(`${noun}: sendTimeoutMs must be a positive number, got ${String(timeoutMs)}`);
  const log = quietLogger(logger);
  const aborter = new AbortController();
  const inFlight = new Set<Promise<void>>();
  let closed = false;

  function deliver(message: M): Promise<void> {
    const started = performance.now();
    const context = { transport, ...spec.describe(message) };
    const took = () => Math.round(performance.now() - started);
    let attempt: Promise<object>;
    try {
      attempt = spec.deliver(message, aborter.signal, log);
    } catch (error) {
      attempt = Promise.reject(error);
    }
    return attempt.then(
      (receipt) => log.info({ ...context, ...receipt, durationMs: took() }, `${noun} sent`),
      (error: unknown) =>
        log.error({ ...context, err: errorDetails(error), durationMs: took() }, `${noun} send failed`),
    );
  }

  return {
    async send(message) {
      if (closed) {
        log.error({ transport, ...spec.describe(message) }, `${noun} send after close`);
        return;
      }
      const delivery = deliver(message);
      inFlight.add(delivery);
      void delivery.finally(() => inFlight.delete(delivery));
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<true>((resolve) => {
        timer = setTimeout(resolve, timeoutMs, true);
      });
      const late = await Promise.race([delivery.then(() => false as const), timedOut]);
      clearTimeout(timer);
      if (late) {
        log.info(
          { transport, ...spec.describe(message), timeoutMs },
          `${noun} send still running after timeout; continuing in the background`,
        );
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await settledWithin(inFlight, timeoutMs);
      if (inFlight.size > 0) {
        log.error(
          { transport, pending: inFlight.size },
          `${spec.name} closed with sends in flight; aborting them`,
        );
        aborter.abort();
        // Aborted sends settle at once; a transport that ignores the signal gets one more grace period.
        await settledWithin(inFlight, timeoutMs);
      }
    },
  };
}
