import { parseOptions } from "@node-rs/argon2";
import { describe, expect, it } from "vitest";
import { OWASP_ARGON2ID, PasswordHasher, type PasswordHashingOptions } from "./hasher.js";

const CHEAP: PasswordHashingOptions = { memoryCost: 8192, timeCost: 1, parallelism: 1 };

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function elapsed(run: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

describe("PasswordHasher", () => {
  const hasher = new PasswordHasher();

  it("defaults to OWASP's argon2id parameters in a PHC string", async () => {
    const hash = await hasher.hash("correct horse battery staple");
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    expect(parseOptions(hash)).toMatchObject({ ...OWASP_ARGON2ID, outputLen: 32, saltLen: 16 });
  });

  it("verifies the right password and salts every hash", async () => {
    const first = await hasher.hash("correct horse battery staple");
    const second = await hasher.hash("correct horse battery staple");
    expect(first).not.toBe(second);
    await expect(hasher.verify(first, "correct horse battery staple")).resolves.toEqual({
      ok: true,
      needsRehash: false,
    });
    await expect(hasher.verify(second, "correct horse battery staple")).resolves.toEqual({
      ok: true,
      needsRehash: false,
    });
  });

  it("rejects a wrong password", async () => {
    const hash = await hasher.hash("correct horse battery staple");
    await expect(hasher.verify(hash, "correct horse battery stapler")).resolves.toEqual({
      ok: false,
      needsRehash: false,
    });
    await expect(hasher.verify(hash, "")).resolves.toEqual({ ok: false, needsRehash: false });
  });

  it("handles non-ASCII passwords as UTF-8", async () => {
    const hash = await hasher.hash("pässwörd-🔑");
    expect((await hasher.verify(hash, "pässwörd-🔑")).ok).toBe(true);
    expect((await hasher.verify(hash, "passwörd-🔑")).ok).toBe(false);
  });

  it("answers ok=false for a null hash", async () => {
    await expect(hasher.verify(null, "anything")).resolves.toEqual({ ok: false, needsRehash: false });
  });

  it("answers ok=false for malformed or foreign hashes without throwing", async () => {
    const real = await hasher.hash("secret-password");
    const malformed = [
      "",
      "not a hash",
      "!unusable-password-marker",
      "pbkdf2_sha256$870000$salt$c2VjcmV0",
      "$argon2id$",
      "$argon2id$v=19$m=19456,t=2,p=1$garbage",
      "$argon2id$v=19$m=abc,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaA",
      real.slice(0, -10),
      `${real}$extra`,
      real.replace("$argon2id$", "$argon2xx$"),
    ];
    for (const hash of malformed) {
      await expect(hasher.verify(hash, "secret-password"), hash).resolves.toEqual({
        ok: false,
        needsRehash: false,
      });
    }
  });

  it("asks for a rehash when the stored parameters differ from the configured ones", async () => {
    const cheap = new PasswordHasher(CHEAP);
    const oldHash = await cheap.hash("correct horse battery staple");
    await expect(hasher.verify(oldHash, "correct horse battery staple")).resolves.toEqual({
      ok: true,
      needsRehash: true,
    });
    await expect(cheap.verify(oldHash, "correct horse battery staple")).resolves.toEqual({
      ok: true,
      needsRehash: false,
    });
    // A wrong password never triggers a rehash: there is nothing to rehash with.
    await expect(hasher.verify(oldHash, "wrong")).resolves.toEqual({ ok: false, needsRehash: false });

    for (const changed of [
      { ...CHEAP, memoryCost: 4096 },
      { ...CHEAP, timeCost: 2 },
      { ...CHEAP, parallelism: 2 },
    ]) {
      expect(
        (await new PasswordHasher(changed).verify(oldHash, "correct horse battery staple")).needsRehash,
      ).toBe(true);
    }
  });

  it("rejects nonsensical cost parameters", () => {
    expect(() => new PasswordHasher({ memoryCost: 0, timeCost: 2, parallelism: 1 })).toThrow(RangeError);
    expect(() => new PasswordHasher({ memoryCost: 19456, timeCost: 1.5, parallelism: 1 })).toThrow(
      RangeError,
    );
  });

  it("hashes off the event loop", async () => {
    let eventLoopTurned = false;
    setImmediate(() => {
      eventLoopTurned = true;
    });
    await hasher.hash("correct horse battery staple");
    // A synchronous hash would resolve before the loop reaches the check phase.
    expect(eventLoopTurned).toBe(true);
  });

  it("verifyDummy always resolves", async () => {
    await expect(hasher.verifyDummy("whatever")).resolves.toBeUndefined();
  });
});

/**
 * Ratios of medians over a few runs: on a machine busy with other work they can still fail by
 * chance, so they run only when LATCHKEY_TIMING_TESTS is set.
 */
describe.runIf(process.env.LATCHKEY_TIMING_TESTS)("PasswordHasher timing", () => {
  it("verifyDummy costs about as much as a real verify", async () => {
    const timed = new PasswordHasher();
    const hash = await timed.hash("correct horse battery staple");
    await timed.verifyDummy("warm up"); // computes the dummy hash
    await timed.verify(hash, "warm up");

    const real: number[] = [];
    const dummy: number[] = [];
    for (let run = 0; run < 7; run += 1) {
      real.push(await elapsed(() => timed.verify(hash, `wrong ${run}`)));
      dummy.push(await elapsed(() => timed.verifyDummy(`unknown ${run}`)));
    }
    const ratio = median(dummy) / median(real);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });

  it("spends a real verify's time on a null hash, so accounts without a password do not stand out", async () => {
    const timed = new PasswordHasher();
    const hash = await timed.hash("correct horse battery staple");
    await timed.verifyDummy("warm up");
    const real: number[] = [];
    const missing: number[] = [];
    for (let run = 0; run < 5; run += 1) {
      real.push(await elapsed(() => timed.verify(hash, `wrong ${run}`)));
      missing.push(await elapsed(() => timed.verify(null, `wrong ${run}`)));
    }
    const ratio = median(missing) / median(real);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });
});
