import { runArgon2 } from "./hash-pool.js";

/** argon2id cost parameters: memory in KiB, iterations, lanes. */
export interface PasswordHashingOptions {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** OWASP Password Storage Cheat Sheet's first argon2id configuration (19 MiB, t=2, p=1). */
export const OWASP_ARGON2ID: PasswordHashingOptions = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

// @node-rs/argon2 declares these as `const enum`s, which are empty objects at run time and cannot
// be inlined under isolatedModules, so their values are spelled out here.
const ARGON2ID = 2;
const VERSION_0X13 = 1;

/** Output length of the raw hash in bytes; part of what "same parameters" means for rehashing. */
const OUTPUT_LENGTH = 32;

/**
 * argon2id password hashing in PHC strings.
 *
 * Every hash and verify runs on the process's hashing threads (hash-pool.ts: one per core, at a
 * lower priority than the event loop), so the event loop never spends the tens of milliseconds
 * that one hash costs, and keeps answering session checks while logins and signups saturate the
 * cores.
 */
export class PasswordHasher {
  private readonly options: PasswordHashingOptions;
  private dummyHash: Promise<string> | undefined;

  constructor(options: PasswordHashingOptions = OWASP_ARGON2ID) {
    for (const [name, value] of Object.entries(options)) {
      if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(`PasswordHasher: ${name} must be a positive integer, got ${String(value)}`);
      }
    }
    this.options = { ...options };
  }

  async hash(password: string): Promise<string> {
    return (await runArgon2({
      op: "hash",
      password,
      options: {
        algorithm: ARGON2ID,
        version: VERSION_0X13,
        memoryCost: this.options.memoryCost,
        timeCost: this.options.timeCost,
        parallelism: this.options.parallelism,
        outputLen: OUTPUT_LENGTH,
      },
    })) as string;
  }

  /** ok=false for a null/unusable hash; needsRehash when the PHC params differ from the configured ones. */
  async verify(hash: string | null, password: string): Promise<{ ok: boolean; needsRehash: boolean }> {
    const parsed = hash === null ? null : parsePhc(hash);
    if (hash === null || parsed === null) {
      // A user without a usable password (social-only, unusable "!" marker, foreign hash format)
      // must not answer faster than one with a password, or the timing tells them apart.
      await this.verifyDummy(password);
      return { ok: false, needsRehash: false };
    }
    let ok: boolean;
    try {
      ok = (await runArgon2({ op: "verify", hash, password })) === true;
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
      await runArgon2({ op: "verify", hash: dummy, password });
    } catch {
      // Forget a failed dummy so the next call tries again instead of failing fast forever.
      this.dummyHash = undefined;
    }
  }

  private differsFromConfigured(parsed: PhcParameters): boolean {
    return (
      parsed.algorithm !== "argon2id" ||
      parsed.version !== 19 ||
      parsed.memoryCost !== this.options.memoryCost ||
      parsed.timeCost !== this.options.timeCost ||
      parsed.parallelism !== this.options.parallelism ||
      parsed.outputLen !== OUTPUT_LENGTH
    );
  }
}

/** The parameters of an argon2 PHC string. */
interface PhcParameters {
  algorithm: string;
  version: number;
  memoryCost: number;
  timeCost: number;
  parallelism: number;
  /** Bytes of the raw hash. */
  outputLen: number;
}

const PHC = /^\$(argon2(?:id|i|d))\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$([A-Za-z0-9+/]+)$/;

/** The parameters of an argon2 hash in a PHC string, or null when the string is not one. */
function parsePhc(hash: string): PhcParameters | null {
  const match = PHC.exec(hash);
  if (!match) return null;
  const encoded = match[6]!;
  return {
    algorithm: match[1]!,
    version: Number(match[2]),
    memoryCost: Number(match[3]),
    timeCost: Number(match[4]),
    parallelism: Number(match[5]),
    // Unpadded base64: every 4 characters are 3 bytes.
    outputLen: Math.floor((encoded.length * 3) / 4),
  };
}
