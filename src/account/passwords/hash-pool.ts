import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

/**
 * The threads password hashes run on: worker threads at a lower scheduling priority (nice 10)
 * than the event loop. A hash takes tens of milliseconds of CPU, and anyone can ask for one (a
 * login, a signup); at equal priority a flood of them takes the cores from the event loop, and
 * every session check waits behind them. Niced, the hashes use whatever CPU the event loop leaves
 * (all of it when requests are only logins), and the event loop keeps answering meanwhile.
 * (Linux gives each thread its own nice value; elsewhere the priority may stay the process's.)
 */

export type Argon2Call =
  | { op: "hash"; password: string; options: Record<string, unknown> }
  | { op: "verify"; hash: string; password: string };

/** The nice value of the hashing threads: CFS then gives them about a tenth of a core the event loop wants. */
const HASHING_NICE = 10;
/** Calls queued at each thread, so that it never waits for the event loop between two. */
const PER_THREAD = 2;

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
try {
  require("node:os").setPriority(workerData.nice);
} catch {}
const argon2 = require(workerData.argon2);
parentPort.on("message", (call) => {
  try {
    const value =
      call.op === "hash" ? argon2.hashSync(call.password, call.options) : argon2.verifySync(call.hash, call.password);
    parentPort.postMessage({ id: call.id, value });
  } catch (err) {
    parentPort.postMessage({ id: call.id, error: err instanceof Error ? err.message : String(err) });
  }
});
`;

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

interface HashThread {
  worker: Worker;
  pending: Map<number, Pending>;
}

/** A fixed number of hashing threads, started on first use; calls beyond what they hold wait in order. */
class HashPool {
  private readonly threads: HashThread[] = [];
  private readonly waiting: { call: Argon2Call; pending: Pending }[] = [];
  private nextId = 0;

  constructor(private readonly size: number) {}

  run(call: Argon2Call): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ call, pending: { resolve, reject } });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      const thread = this.available();
      if (!thread) return;
      const { call, pending } = this.waiting.shift()!;
      const id = this.nextId++;
      if (thread.pending.size === 0) thread.worker.ref();
      thread.pending.set(id, pending);
      thread.worker.postMessage({ ...call, id });
    }
  }

  /** The least busy thread with room, starting one while fewer than `size` run. */
  private available(): HashThread | undefined {
    let best: HashThread | undefined;
    for (const thread of this.threads) {
      if (thread.pending.size < PER_THREAD && (!best || thread.pending.size < best.pending.size))
        best = thread;
    }
    if (best?.pending.size === 0 || this.threads.length >= this.size) return best;
    return this.start();
  }

  private start(): HashThread {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { nice: HASHING_NICE, argon2: createRequire(import.meta.url).resolve("@node-rs/argon2") },
    });
    const thread: HashThread = { worker, pending: new Map() };
    worker.on("message", (message: { id: number; value?: unknown; error?: string }) => {
      const pending = thread.pending.get(message.id);
      thread.pending.delete(message.id);
      if (thread.pending.size === 0) worker.unref();
      if (message.error !== undefined) pending?.reject(new Error(message.error));
      else pending?.resolve(message.value);
      this.dispatch();
    });
    const fail = (err: Error) => {
      this.threads.splice(this.threads.indexOf(thread), 1);
      for (const pending of thread.pending.values()) pending.reject(err);
      thread.pending.clear();
      this.dispatch();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => {
      if (this.threads.includes(thread)) fail(new Error(`hashing thread exited with code ${code}`));
    });
    // A thread holds the process open while it has calls to answer, and no longer: idle, it is
    // unref'd. (Unref'd only now: adding the "message" listener refs the worker's port again.)
    worker.unref();
    this.threads.push(thread);
    return thread;
  }
}

/**
 * The threads this process hashes on: UV_THREADPOOL_SIZE when set (the `latchkey` command sets it
 * to the cores, and each worker of `serve --workers` to its share of them), else one per core.
 */
export function hashingThreads(): number {
  const size = Number(process.env.UV_THREADPOOL_SIZE);
  return Number.isInteger(size) && size > 0 ? Math.min(size, availableParallelism()) : availableParallelism();
}

let shared: HashPool | undefined;

/** Runs an argon2 call on the process's hashing threads (one pool for every Latchkey in the process). */
export function runArgon2(call: Argon2Call): Promise<unknown> {
  shared ??= new HashPool(hashingThreads());
  return shared.run(call);
}
