/**
 * `npm run bench`: throughput and latency of Latchkey's hot endpoints over loopback, each as a
 * ratio to a bare node:http JSON endpoint measured in the same run (the machine is shared and
 * noisy: only ratios compare across runs). The servers run in a child process; autocannon runs
 * here, so the load generator does not share the servers' event loop.
 */
import { fork } from "node:child_process";
import { availableParallelism } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { hash } from "@node-rs/argon2";
import autocannon from "autocannon";

const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 16;

interface Fixtures {
  barePort: number;
  sqlitePort: number;
  apiPort: number;
  enumerationPort: number;
  appToken: string;
  sessionCookie: string;
  password: string;
  email: string;
}

interface Measured {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function startServer(): Promise<{ fixtures: Fixtures; stop(): void }> {
  const child = fork(fileURLToPath(new URL("./server.ts", import.meta.url)), {
    execArgv: ["--import", "tsx"],
    // One libuv worker per core, as the README advises for production: hashes use every core
    // without surplus threads taking CPU share from the event loop.
    env: {
      ...process.env,
      UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? String(availableParallelism()),
    },
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  return { fixtures: JSON.parse(first) as Fixtures, stop: () => child.kill("SIGTERM") };
}

function load(name: string, opts: autocannon.Options): Promise<Measured> {
  return new Promise((resolve, reject) => {
    autocannon({ connections: CONNECTIONS, duration: DURATION, ...opts }, (err, r) => {
      if (err) return reject(err);
      resolve({
        name,
        rps: r.requests.average,
        p50: r.latency.p50,
        p99: r.latency.p99,
        errors: r.errors + r.non2xx + r.timeouts,
      });
    });
  });
}

/** argon2id hashes per second with the default parameters, as many in flight as the pool takes. */
async function rawHashRate(seconds: number): Promise<number> {
  const options = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;
  const deadline = Date.now() + seconds * 1000;
  let done = 0;
  const worker = async () => {
    while (Date.now() < deadline) {
      await hash("correct horse battery staple", options);
      done++;
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: Math.max(4, availableParallelism() * 2) }, worker));
  return done / ((Date.now() - started) / 1000);
}

const { fixtures: f, stop } = await startServer();
const api = `http://127.0.0.1:${f.apiPort}/_allauth`;
const json = { "content-type": "application/json" };
let signupCounter = 0;

try {
  const results: Measured[] = [];
  const bare = await load("bare node:http JSON", { url: `http://127.0.0.1:${f.barePort}/` });
  results.push(bare);
  results.push(
    await load("bare node:http + one SQLite key lookup", {
      url: `http://127.0.0.1:${f.sqlitePort}/`,
      headers: { "x-key": "session" },
    }),
  );
  results.push(await load("GET /config (app)", { url: `${api}/app/v1/config` }));
  const appSession = await load("GET /auth/session (app token)", {
    url: `${api}/app/v1/auth/session`,
    headers: { "x-session-token": f.appToken },
  });
  results.push(appSession);
  results.push(
    await load("GET /auth/session (browser cookie)", {
      url: `${api}/browser/v1/auth/session`,
      headers: { cookie: `sessionid=${f.sessionCookie}` },
    }),
  );
  const hashRate = await rawHashRate(DURATION);
  const login = await load("POST /auth/login (app)", {
    url: `${api}/app/v1/auth/login`,
    method: "POST",
    headers: json,
    body: JSON.stringify({ email: f.email, password: f.password }),
  });
  results.push(login);
  const signup = await load("POST /auth/signup (app)", {
    url: `${api}/app/v1/auth/signup`,
    method: "POST",
    headers: json,
    requests: [
      {
        setupRequest: (req) => ({
          ...req,
          body: JSON.stringify({
            email: `load-${process.pid}-${signupCounter++}@example.com`,
            password: f.password,
          }),
        }),
      },
    ],
  });
  results.push(signup);

  // Session checks while logins and signups saturate the hash pool.
  const [underLoad] = await Promise.all([
    load("GET /auth/session (app) under hash load", {
      url: `${api}/app/v1/auth/session`,
      headers: { "x-session-token": f.appToken },
      connections: 8,
    }),
    load("login load", {
      url: `${api}/app/v1/auth/login`,
      method: "POST",
      headers: json,
      body: JSON.stringify({ email: f.email, password: f.password }),
      connections: 8,
    }),
    load("signup load", {
      url: `${api}/app/v1/auth/signup`,
      method: "POST",
      headers: json,
      connections: 8,
      requests: [
        {
          setupRequest: (req) => ({
            ...req,
            body: JSON.stringify({
              email: `mix-${process.pid}-${signupCounter++}@example.com`,
              password: f.password,
            }),
          }),
        },
      ],
    }),
  ]);
  results.push(underLoad!);

  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  console.log(
    `\nLatchkey benchmark — ${DURATION}s per run, ${CONNECTIONS} connections, loopback, ${availableParallelism()} cores`,
  );
  console.log(`database: ${process.env.BENCH_DATABASE_URL ?? "SQLite file (WAL)"}\n`);
  console.log("| endpoint | req/s | p50 ms | p99 ms | errors | vs bare node:http |");
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const r of results) {
    console.log(
      `| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors} | ${pct(r.rps / bare.rps)} |`,
    );
  }
  console.log(`\nraw argon2id (19 MiB, t=2, p=1) hashes/s, all cores: ${hashRate.toFixed(1)}`);
  console.log(`logins/s vs raw hash rate:  ${pct(login.rps / hashRate)} (target ≥ 80%)`);
  console.log(`signups/s vs raw hash rate: ${pct(signup.rps / hashRate)} (target ≥ 80%)`);
  console.log(`session check vs bare:      ${pct(appSession.rps / bare.rps)} (target ≥ 50%)`);
  console.log(
    `session check under hash load: p99 ${underLoad!.p99} ms (target < 50 ms), ${pct(underLoad!.rps / appSession.rps)} of unloaded (target ≥ 30%)`,
  );
  await enumerationTimings(`http://127.0.0.1:${f.enumerationPort}/_allauth/app/v1`);
} finally {
  stop();
}

/**
 * Enumeration: median answer time for an address with an account beside one without, per
 * endpoint, requests interleaved so that load drifts hit both alike (issue 3: equal work).
 */
async function enumerationTimings(base: string): Promise<void> {
  const ROUNDS = Number(process.env.BENCH_ENUMERATION_ROUNDS ?? 25);
  const post = async (path: string, body: unknown): Promise<number> => {
    const started = performance.now();
    const response = await fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    await response.arrayBuffer();
    return performance.now() - started;
  };
  const cases: [string, (email: string, i: number) => Promise<number>][] = [
    [
      "POST /auth/login (wrong password)",
      (email) => post("/auth/login", { email, password: "wrong password 1" }),
    ],
    ["POST /auth/password/request", (email) => post("/auth/password/request", { email })],
    ["POST /auth/code/request", (email) => post("/auth/code/request", { email })],
    [
      "POST /auth/signup (taken vs new)",
      (email, i) =>
        post("/auth/signup", {
          email: email === "known@example.com" ? email : `new-${process.pid}-${i}@example.com`,
          password: "correct horse battery staple",
        }),
    ],
  ];
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`\nEnumeration: median ms over ${ROUNDS} interleaved requests each (known account vs none)\n`);
  console.log("| endpoint | known | unknown | ratio |");
  console.log("|---|---:|---:|---:|");
  for (const [name, send] of cases) {
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      known.push(await send("known@example.com", i));
      unknown.push(await send(`nobody-${i}@example.com`, i));
    }
    const k = median(known);
    const u = median(unknown);
    console.log(`| ${name} | ${k.toFixed(1)} | ${u.toFixed(1)} | ${(u / k).toFixed(2)} |`);
  }
}
