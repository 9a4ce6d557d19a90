/**
 * The raw argon2id rate the logins are held to: async @node-rs/argon2 hashes at the OWASP
 * parameters, as many in flight as twice the cores, on a libuv pool of one thread per core (as
 * `latchkey serve` sizes its hashing threads), in a process of its own (bench/run.ts starts it at
 * the hashing threads' priority). Prints hashes per second after `BENCH_HASH_SECONDS`.
 */
import { availableParallelism } from "node:os";
import { hash } from "@node-rs/argon2";

const seconds = Number(process.env.BENCH_HASH_SECONDS ?? 5);
const deadline = Date.now() + seconds * 1000;
let done = 0;
const worker = async () => {
  while (Date.now() < deadline) {
    await hash("correct horse battery staple", {
      algorithm: 2,
      memoryCost: 19456,
      timeCost: 2,
      parallelism: 1,
    });
    done++;
  }
};
const started = Date.now();
await Promise.all(Array.from({ length: availableParallelism() * 2 }, worker));
console.log(done / ((Date.now() - started) / 1000));
