import { availableParallelism } from "node:os";
import type { Algorithm, Version } from "@node-rs/argon2";
import { hash as argon2Hash, verify as argon2Verify, parseOptions } from "@node-rs/argon2";

/** argon2id cost parameters: memory in KiB, iterations, lanes. */
export interface PasswordHashingOptions {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** OWASP Password Storage Cheat Sheet's first argon2id configuration (19 MiB, t=2, p=1). */
export const OWASP_ARGON2ID: PasswordHashingOptions = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

// The package declares these as `const enum`s, which are empty objects at run time and cannot be
// inlined under isolatedModules, so their values are spelled out here.
const ARGON2ID = 2 as Algorithm;
const VERSION_0X13 = 1 as Version;

/** Output length of the raw hash in bytes; part of what "same parameters" means for rehashing. */
const OUTPUT_LENGTH = 32;

/**
 * argon2id password hashing in PHC strings.
 *
 * Every hash and verify runs on the libuv thread pool through the async API of @node-rs/argon2,
 * so the event loop never spends the ~tens of milliseconds that one hash costs.
 */
export class PasswordHasher {
  private readonly options: PasswordHashingOptions;
  private dummyHash: Promise<string> | undefined;
  /**
   * At most one hash per core at a time. More would not hash faster, and each extra runnable
   * thread takes CPU share from the event loop, which must keep answering session checks while
   * logins and signups saturate the cores.
   */
  private readonly slots = new Semaphore(availableParallelism() + 1);

  constructor(options: PasswordHashingOptions = OWASP_ARGON2ID) {
    for (const [name, value] of Object.entries(options)) {
      if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(`PasswordHasher: ${name} must be a positive integer, got ${String(value)}`);
      }
    }
    this.options = { ...options };
  }

  hash(password: string): Promise<string> {
    return this.slots.run(() =>
      argon2Hash(password, {
        algorithm: ARGON2ID,
        version: VERSION_0X13,
        memoryCost: this.options.memoryCost,
        timeCost: this.options.timeCost,
        parallelism: this.options.parallelism,
        outputLen: OUTPUT_LENGTH,
      }),
    );
  }

  /** ok=false for a null/unusable hash; needsRehash when the PHC params differ from the configured ones. */
  async verify(hash: string | null, password: string): Promise<{ ok: boolean; needsRehash: boolean }> {
    const parsed = hash === null ? undefined : parseHash(hash);
    if (hash === null || parsed === undefined) {
      // A user without a usable password (social-only, unusable "!" marker, foreign hash format)
      // must not answer faster than one with a password, or the timing tells them apart.
      await this.verifyDummy(password);
      return { ok: false, needsRehash: false };
    }
    let ok: boolean;
    try {
      ok = await this.slots.run(() => argon2Verify(hash, password));
    } catch {
      ok = false;
    }
    return { ok, needsRehash: ok && this.differsFromConfigured(parsed) };
  }

  /** Same cost as verify() against a real hash, for unknown accounts (enumeration timing). Always resolves. */
  async verifyDummy(password: string): Promise<void> {
    try {
      this.dummyHash ??= this.hash("latchkey-dummy-password");
      const dummy = await this.dummyHash;
      await this.slots.run(() => argon2Verify(dummy, password));
    } catch {
      // Forget a failed dummy so the next call tries again instead of failing fast forever.
      this.dummyHash = undefined;
    }
  }

  private differsFromConfigured(parsed: ParsedHash): boolean {
    return (
      parsed.algorithm !== ARGON2ID ||
      parsed.version !== VERSION_0X13 ||
      parsed.memoryCost !== this.options.memoryCost ||
      parsed.timeCost !== this.options.timeCost ||
      parsed.parallelism !== this.options.parallelism ||
      parsed.outputLen !== OUTPUT_LENGTH
    );
  }
}

type ParsedHash = ReturnType<typeof parseOptions>;

/** The PHC parameters of an argon2 hash, or undefined when the string is not one. */
function parseHash(hash: string): ParsedHash | undefined {
  if (!hash.startsWith("$argon2")) return undefined;
  try {
    return parseOptions(hash);
  } catch {
    return undefined;
  }
}

/** A counting semaphore: runs tasks with at most `size` in flight, the rest in FIFO order. */
class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
