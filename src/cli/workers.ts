import cluster, { type Worker } from "node:cluster";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { serveClusterRateLimits } from "../http/ratelimit/stores.js";
import type { LatchkeyDependencies } from "../latchkey.js";
import { CliError } from "./config.js";

/**
 * `latchkey serve --workers N`: N processes serve one port through node:cluster, so that session
 * checks use every core. The primary only forks, restarts and stops the workers, and keeps the
 * rate-limit counters of the memory store for all of them (a limit counts once whichever worker a
 * request reaches); it loads nothing of Latchkey itself. Each worker is a whole `latchkey serve`.
 */

/** The entry the workers run: this same command (built or from source, as bin/latchkey.cjs decides). */
const BIN = fileURLToPath(new URL("../../bin/latchkey.cjs", import.meta.url));
/** A worker that dies sooner than this after it was started is crashing: its replacement waits. */
const HEALTHY_AFTER_MS = 10_000;
/** The longest a replacement waits for a worker that keeps crashing. */
const MAX_RESTART_DELAY_MS = 30_000;
/** A second signal this long after the first stops the workers at once. */
const REPEATED_SIGNAL_MS = 1000;

/** What a worker tells the primary once it listens: the lines `serve` would print. */
interface Listening {
  latchkey: "listening";
  banner: string[];
}

/** --workers or LATCHKEY_WORKERS: a whole number from 1; default one per core. */
export function parseWorkers(value: string | undefined): number {
  if (value === undefined || value === "") return availableParallelism();
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1 || count > 1024) {
    throw new CliError(`the number of workers must be a whole number from 1 to 1024, not "${value}"`);
  }
  return count;
}

/** Whether this process is a worker of `serve --workers`. */
export function isWorker(): boolean {
  return cluster.isWorker;
}

/** What createLatchkey needs in a worker: rate limits of the memory store counted by the primary. */
export function workerDependencies(): LatchkeyDependencies {
  return cluster.isWorker ? { clusterRateLimits: true } : {};
}

/**
 * Prints what `serve` says once it listens; a worker hands it to the primary, which prints it
 * once for all of them. A worker whose primary is gone stops (as on SIGTERM).
 */
export function announce(banner: string[]): void {
  if (!cluster.isWorker) {
    console.log(banner.join("\n"));
    return;
  }
  process.once("disconnect", () => process.kill(process.pid, "SIGTERM"));
  process.send?.({ latchkey: "listening", banner } satisfies Listening);
}

/**
 * The primary of `serve --workers N` (the command line's own arguments are passed to each
 * worker). Starts one worker first, which applies the migrations, then the others; prints the
 * banner once all listen. Each worker gets its share of the hashing threads (UV_THREADPOOL_SIZE
 * divided among them). A worker that dies is replaced (after a growing delay while they keep
 * crashing); SIGINT or SIGTERM stops every worker, each letting its requests finish. Resolves to
 * the exit code: a worker that cannot start ends the command with its code.
 */
export async function runPrimary(count: number): Promise<number> {
  await serveClusterRateLimits();
  const threads = Number(process.env.UV_THREADPOOL_SIZE) || availableParallelism();
  const env = { UV_THREADPOOL_SIZE: String(Math.max(1, Math.floor(threads / count))) };
  cluster.setupPrimary({ exec: BIN, args: process.argv.slice(2) });

  const started = new Map<Worker, number>();
  let stopping = false;
  let restartDelay = 0;
  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => {
    finish = resolve;
  });

  /** Forks a worker; resolves when it listens (with its banner), or with its code when it exits first. */
  const fork = (): Promise<{ worker: Worker; banner: string[] } | { code: number }> => {
    const worker = cluster.fork(env);
    started.set(worker, Date.now());
    return new Promise((resolve) => {
      const onMessage = (message: unknown) => {
        if ((message as Listening | null)?.latchkey !== "listening") return;
        worker.off("exit", onExit);
        resolve({ worker, banner: (message as Listening).banner });
      };
      const onExit = (code: number | null) => {
        worker.off("message", onMessage);
        resolve({ code: code || 1 });
      };
      worker.on("message", onMessage);
      worker.once("exit", onExit);
    });
  };

  const replace = (worker: Worker, code: number | null, signal: string | null) => {
    if (stopping) return;
    const lived = Date.now() - (started.get(worker) ?? 0);
    started.delete(worker);
    restartDelay =
      lived >= HEALTHY_AFTER_MS ? 0 : Math.min(MAX_RESTART_DELAY_MS, Math.max(1000, restartDelay * 2));
    const delay = restartDelay > 0 ? ` in ${restartDelay / 1000} s` : "";
    console.error(
      `latchkey: worker ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting another${delay}`,
    );
    setTimeout(() => {
      if (stopping) return;
      void fork().then((r) => {
        if ("worker" in r) console.error(`latchkey: worker ${r.worker.process.pid} started`);
      });
    }, restartDelay).unref();
  };

  /** Stops every worker, each letting its requests finish; a repeated signal kills them. */
  let stoppingSince = 0;
  const stop = (code = 0) => {
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    if (stopping) {
      if (Date.now() - stoppingSince >= REPEATED_SIGNAL_MS) {
        for (const worker of workers) worker.process.kill("SIGKILL");
        finish(1);
      }
      return;
    }
    stopping = true;
    stoppingSince = Date.now();
    cluster.off("exit", replace);
    let left = workers.length;
    let failures = 0;
    if (left === 0) finish(code);
    for (const worker of workers) {
      worker.once("exit", (exitCode, signal) => {
        // A worker still starting dies of the signal itself: it had nothing to finish.
        if (exitCode !== 0 && signal !== "SIGTERM") failures++;
        if (--left === 0) finish(code !== 0 ? code : failures === 0 ? 0 : 1);
      });
      // A worker that got the same signal (Ctrl+C signals the whole group) ignores this one.
      worker.process.kill("SIGTERM");
    }
  };
  process.on("SIGINT", () => stop());
  process.on("SIGTERM", () => stop());

  const first = await fork();
  if ("code" in first) {
    stop(first.code);
    return finished;
  }
  const rest = await Promise.all(Array.from({ length: count - 1 }, fork));
  const failed = rest.find((r): r is { code: number } => "code" in r);
  if (failed) {
    stop(failed.code);
    return finished;
  }
  if (!stopping) {
    cluster.on("exit", replace);
    const pids = [first, ...rest].map((r) => ("worker" in r ? r.worker.process.pid : 0));
    console.log(
      [...first.banner, `  ${count} workers (pids ${pids.join(", ")}); a worker that dies is replaced.`].join(
        "\n",
      ),
    );
  }
  return finished;
}
