/**
 * `npm run bench`: throughput, latency, start-up and memory of Latchkey, each figure a ratio to a
 * reference measured in the same run (the machine is shared and noisy: only ratios compare across
 * runs). Sections (all by default; `--only core,workers,…` picks some):
 *
 * - core: the hot endpoints of Latchkey from a build in a server process (bench/server.ts) beside
 *   bare node:http and "bare + one indexed read" on SQLite and on PostgreSQL; logins and signups
 *   beside the raw argon2id rate (bench/hash-rate.ts); session checks with and without signups
 *   saturating the hasher. Each in rounds, interleaved with its reference.
 * - workers: `latchkey serve --workers 1` and `--workers <cores>` from a build.
 * - startup: `latchkey --help`, `check`, and `serve` until it listens, from a build.
 * - memory: the RSS of `latchkey serve` over two rounds of 200,000 session checks and 5,000 logins.
 * - instances: two `latchkey serve` on one PostgreSQL and one Redis, beside one alone.
 * - scale: PostgreSQL seeded with `COPY` (bench/seed.ts) at 1,000 users and at `--users N`
 *   (default 1,000 only): session checks, logins, signups and code requests at each size.
 *
 * `BENCH_SECONDS` (default 5) is the length of a run, `BENCH_ROUNDS` (default 3) the number of
 * rounds; `BENCH_POSTGRES_URL` and `BENCH_REDIS_URL` name the servers to use.
 *
 * Autocannon runs in this process, on the same cores as the servers: every rate is the rate the
 * machine reaches with its load generator on board.
 */
import { fork, spawn } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { hash } from "@node-rs/argon2";
import autocannon from "autocannon";
import { type Build, buildPackage, commandMs, rssMiB, type Served, serve } from "./build.js";
import { type Seeded, seedUsers } from "./seed.js";

const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 16;
/** Interleaved rounds of the session checks and their references. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CORES = availableParallelism();
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const PASSWORD = "correct horse battery staple";
const OWASP = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;
const SECTIONS = ["core", "workers", "startup", "memory", "instances", "scale"] as const;

const { values: args } = parseArgs({
  options: { users: { type: "string" }, only: { type: "string" } },
  allowPositionals: false,
});
const users = Number(args.users ?? 1000);
const only = new Set(args.only ? args.only.split(",") : SECTIONS);
for (const name of only) {
  if (!(SECTIONS as readonly string[]).includes(name))
    throw new Error(`unknown section ${name}: ${SECTIONS.join(", ")}`);
}

interface Measured {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/** A new object each time: autocannon writes content-length into the headers it is given. */
const jsonHeaders = () => ({ "content-type": "application/json" });
let counter = 0;
const unique = (label: string) => `${label}-${process.pid}-${counter++}@example.com`;
const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
const report: string[] = [];
const say = (line = "") => {
  report.push(line);
  console.log(line);
};

/**
 * One autocannon run. Errors are failed connections, timeouts and answers of another status than
 * `expect` (200 unless the endpoint answers otherwise when it works, as a code request's 401 does).
 */
function load(name: string, opts: autocannon.Options, expect = 200): Promise<Measured> {
  return new Promise((resolve, reject) => {
    // A run of a fixed number of requests (`amount`) has no duration.
    const length = opts.amount === undefined ? { duration: opts.duration ?? DURATION } : {};
    const { duration: _duration, ...rest } = opts;
    autocannon({ connections: CONNECTIONS, ...rest, ...length }, (err, r) => {
      if (err) return reject(err);
      const stats: Record<string, { count?: number }> = r.statusCodeStats ?? {};
      const answered = Object.values(stats).reduce((sum, s) => sum + (s.count ?? 0), 0);
      const expected = stats[String(expect)]?.count ?? 0;
      resolve({
        name,
        rps: r.requests.average,
        p50: r.latency.p50,
        p99: r.latency.p99,
        errors: r.errors + r.timeouts + (answered - expected),
      });
    });
  });
}

/** A POST whose JSON body is made anew for every request. */
function posting(
  url: string,
  body: () => unknown,
  opts: Partial<autocannon.Options> = {},
): autocannon.Options {
  return {
    ...opts,
    url,
    method: "POST",
    headers: jsonHeaders(),
    requests: [
      {
        setupRequest: (req) => ({
          ...req,
          method: "POST",
          headers: jsonHeaders(),
          body: JSON.stringify(body()),
        }),
      },
    ],
  };
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The run of median rate among several of one endpoint. */
function medianOf(runs: Measured[]): Measured {
  return [...runs].sort((a, b) => a.rps - b.rps)[Math.floor(runs.length / 2)]!;
}

function table(rows: Measured[], baseline?: { name: string; rps: number }): void {
  say(`| endpoint | req/s | p50 ms | p99 ms | errors |${baseline ? ` vs ${baseline.name} |` : ""}`);
  say(`|---|---:|---:|---:|---:|${baseline ? "---:|" : ""}`);
  for (const r of rows) {
    say(
      `| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors} |${baseline ? ` ${pct(r.rps / baseline.rps)} |` : ""}`,
    );
  }
}

/**
 * argon2id hashes per second on all cores (bench/hash-rate.ts, in a process of its own), at the
 * priority of Latchkey's hashing threads (nice 10): on a machine shared with other work, that
 * work takes the same share from both.
 */
async function rawHashRate(seconds: number): Promise<number> {
  const child = spawn(
    "nice",
    [
      "-n",
      "10",
      process.execPath,
      "--import",
      "tsx",
      fileURLToPath(new URL("./hash-rate.ts", import.meta.url)),
    ],
    {
      env: { ...process.env, UV_THREADPOOL_SIZE: String(CORES), BENCH_HASH_SECONDS: String(seconds) },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const [line] = await Promise.all([
    new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once("line", resolve)),
    new Promise((resolve) => child.once("exit", resolve)),
  ]);
  return Number(line);
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { ...jsonHeaders(), ...headers },
    body: JSON.stringify(body),
  });
}

/** A new account's app session token. */
async function signupToken(api: string, email = unique("fixture")): Promise<string> {
  const response = await post(`${api}/app/v1/auth/signup`, { email, password: PASSWORD });
  const body = (await response.json()) as { meta?: { session_token?: string } };
  if (!body.meta?.session_token) throw new Error(`signup failed: ${JSON.stringify(body)}`);
  return body.meta.session_token;
}

/** Options of the servers run from the build: email login, no mail to wait for, no rate limits. */
function serveConfig(databaseUrl: string, tablePrefix: string, extra: Record<string, unknown> = {}) {
  return {
    database: { url: databaseUrl, tablePrefix },
    rateLimits: false,
    account: { loginMethods: ["email"], signupFields: ["email*", "password1*"], emailVerification: "none" },
    ...extra,
  };
}

const scratch = `/tmp/latchkey-bench-${process.pid}`;
mkdirSync(scratch, { recursive: true });
let build: Build | undefined;
const built = () => {
  build ??= buildPackage();
  return build.bin;
};
const builtFolder = () => {
  built();
  return build!.folder;
};

say(
  `\nLatchkey benchmark — ${DURATION} s per run, ${CONNECTIONS} connections, loopback, ${CORES} cores shared by the servers and the load generator; load average at start ${loadavg()
    .map((x) => x.toFixed(1))
    .join(" ")}`,
);

try {
  if (only.has("core")) await core();
  if (only.has("workers")) await workers();
  if (only.has("startup")) await startup();
  if (only.has("memory")) await memory();
  if (only.has("instances")) await instances();
  if (only.has("scale")) await scale();
  say(
    `\nload average at the end: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")}`,
  );
} finally {
  build?.remove();
  rmSync(scratch, { recursive: true, force: true });
}

interface Fixtures {
  barePort: number;
  sqlitePort: number;
  postgresPort: number;
  apiPort: number;
  postgresApiPort: number;
  enumerationPort: number;
  appToken: string;
  postgresToken: string;
  browserCookies: string;
  password: string;
  email: string;
}

async function startServer(): Promise<{ fixtures: Fixtures; stop(): void }> {
  const child = fork(fileURLToPath(new URL("./server.ts", import.meta.url)), {
    execArgv: ["--import", "tsx"],
    // One libuv worker per core, as the `latchkey` command sizes it.
    env: {
      ...process.env,
      UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? String(CORES),
      BENCH_BUILD: builtFolder(),
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

/** The hot endpoints in process, beside bare node:http and the one-read references. */
async function core(): Promise<void> {
  const { fixtures: f, stop } = await startServer();
  const api = `http://127.0.0.1:${f.apiPort}/_allauth`;
  const pgApi = `http://127.0.0.1:${f.postgresApiPort}/_allauth`;
  try {
    // The session checks and their references, in rounds so that a busy spell of the machine
    // hits each alike; each ratio is the median of its rounds' ratios.
    const checks: [string, autocannon.Options][] = [
      ["bare node:http JSON", { url: `http://127.0.0.1:${f.barePort}/` }],
      [
        "bare + one indexed SQLite read",
        { url: `http://127.0.0.1:${f.sqlitePort}/`, headers: { "x-key": "session" } },
      ],
      [
        "GET /auth/session (app token, SQLite)",
        { url: `${api}/app/v1/auth/session`, headers: { "x-session-token": f.appToken } },
      ],
      [
        "GET /auth/session (browser cookie, SQLite)",
        { url: `${api}/browser/v1/auth/session`, headers: { cookie: f.browserCookies } },
      ],
      [
        "bare + one indexed PostgreSQL read",
        { url: `http://127.0.0.1:${f.postgresPort}/`, headers: { "x-key": "session" } },
      ],
      [
        "GET /auth/session (app token, PostgreSQL)",
        { url: `${pgApi}/app/v1/auth/session`, headers: { "x-session-token": f.postgresToken } },
      ],
    ];
    const rounds: Measured[][] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const measured: Measured[] = [];
      for (const [name, opts] of checks) measured.push(await load(name, opts));
      rounds.push(measured);
    }
    const [bare, sqliteRead, appSession, browserSession, pgRead, pgSession] = checks.map((_, i) =>
      medianOf(rounds.map((r) => r[i]!)),
    ) as [Measured, Measured, Measured, Measured, Measured, Measured];
    const ratio = (a: number, b: number) => median(rounds.map((r) => r[a]!.rps / r[b]!.rps));
    const config = await load("GET /config (app)", { url: `${api}/app/v1/config` });
    // Logins beside the raw hash rate, and session checks with and without signups saturating
    // the hasher, in rounds like the checks above.
    const check = { url: `${api}/app/v1/auth/session`, headers: { "x-session-token": f.appToken } };
    const hashing: {
      raw: number;
      login: Measured;
      signup: Measured;
      unloaded: Measured;
      underLoad: Measured;
    }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const raw = await rawHashRate(DURATION);
      const login = await load(
        "POST /auth/login (app)",
        posting(`${api}/app/v1/auth/login`, () => ({ email: f.email, password: f.password })),
      );
      const signup = await load(
        "POST /auth/signup (app)",
        posting(`${api}/app/v1/auth/signup`, () => ({ email: unique("load"), password: f.password })),
      );
      const unloaded = await load("GET /auth/session (app), 8 connections", { ...check, connections: 8 });
      const [underLoad] = await Promise.all([
        load("GET /auth/session (app), 8 connections, during saturating signups", {
          ...check,
          connections: 8,
        }),
        load(
          "signups",
          posting(`${api}/app/v1/auth/signup`, () => ({ email: unique("mix"), password: f.password }), {
            connections: 8,
          }),
        ),
      ]);
      hashing.push({ raw, login, signup, unloaded, underLoad });
    }
    const of = <K extends "login" | "signup" | "unloaded" | "underLoad">(key: K) =>
      medianOf(hashing.map((h) => h[key]));
    const hashRatio = (f: (h: (typeof hashing)[number]) => number) => median(hashing.map(f));
    say(
      `\n## Hot endpoints (in-process server; SQLite WAL file and PostgreSQL on this machine; session checks: median of ${ROUNDS} interleaved rounds)\n`,
    );
    table(
      [
        bare,
        sqliteRead,
        appSession,
        browserSession,
        pgRead,
        pgSession,
        config,
        of("login"),
        of("signup"),
        of("unloaded"),
        of("underLoad"),
      ],
      bare,
    );
    say();
    say(
      `raw argon2id (19 MiB, t=2, p=1) hashes/s on all cores, in a process of its own: ${median(hashing.map((h) => h.raw)).toFixed(1)} (median of ${ROUNDS} rounds, each beside the logins and signups of the same round)`,
    );
    say(`| ratio | measured | target |`);
    say(`|---|---:|---|`);
    say(`| app session check / (bare + one SQLite read) | ${pct(ratio(2, 1))} | ≥ 90% |`);
    say(`| browser session check / (bare + one SQLite read) | ${pct(ratio(3, 1))} | ≥ 90% |`);
    say(`| app session check on PostgreSQL / (bare + one PostgreSQL read) | ${pct(ratio(5, 4))} | ≥ 90% |`);
    say(`| (bare + one SQLite read) / bare | ${pct(ratio(1, 0))} | |`);
    say(`| app session check / bare | ${pct(ratio(2, 0))} | |`);
    say(`| logins/s / raw hash rate | ${pct(hashRatio((h) => h.login.rps / h.raw))} | ≥ 85% |`);
    say(`| signups/s / raw hash rate | ${pct(hashRatio((h) => h.signup.rps / h.raw))} | |`);
    say(
      `| session checks during saturating signups / unloaded (8 connections each) | ${pct(hashRatio((h) => h.underLoad.rps / h.unloaded.rps))} (p99 ${of("underLoad").p99} ms) | ≥ 40%, p99 < 25 ms |`,
    );
    await enumerationTimings(`http://127.0.0.1:${f.enumerationPort}/_allauth/app/v1`);
  } finally {
    stop();
  }
}

/**
 * Enumeration: median answer time for an address with an account beside one without, per
 * endpoint, requests interleaved so that load drifts hit both alike (issue 3: equal work).
 */
async function enumerationTimings(base: string): Promise<void> {
  const ROUNDS = Number(process.env.BENCH_ENUMERATION_ROUNDS ?? 25);
  const timed = async (path: string, body: unknown): Promise<number> => {
    const started = performance.now();
    const response = await post(`${base}${path}`, body);
    await response.arrayBuffer();
    return performance.now() - started;
  };
  const cases: [string, (email: string, i: number) => Promise<number>][] = [
    [
      "POST /auth/login (wrong password)",
      (email) => timed("/auth/login", { email, password: "wrong password 1" }),
    ],
    ["POST /auth/password/request", (email) => timed("/auth/password/request", { email })],
    ["POST /auth/code/request", (email) => timed("/auth/code/request", { email })],
    [
      "POST /auth/signup (taken vs new)",
      (email, i) =>
        timed("/auth/signup", {
          email: email === "known@example.com" ? email : `new-${process.pid}-${i}@example.com`,
          password: PASSWORD,
        }),
    ],
  ];
  say(`\n## Enumeration: median ms over ${ROUNDS} interleaved requests each (known account vs none)\n`);
  say("| endpoint | known | unknown | ratio |");
  say("|---|---:|---:|---:|");
  for (const [name, send] of cases) {
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      known.push(await send("known@example.com", i));
      unknown.push(await send(`nobody-${i}@example.com`, i));
    }
    const k = median(known);
    const u = median(unknown);
    say(`| ${name} | ${k.toFixed(1)} | ${u.toFixed(1)} | ${(u / k).toFixed(2)} |`);
  }
}

/** Session checks and logins with one worker and with one per core. */
async function workers(): Promise<void> {
  const bin = built();
  const counts = [1, CORES];
  const servers: { count: number; server: Served; api: string; email: string; token: string }[] = [];
  try {
    for (const count of counts) {
      const server = await serve(
        bin,
        serveConfig(`sqlite:${scratch}/workers-${count}.sqlite3`, "latchkey_"),
        {
          workers: count,
        },
      );
      const api = `${server.url}/_allauth`;
      const email = unique("workers");
      servers.push({ count, server, api, email, token: await signupToken(api, email) });
    }
    // Both up at once, taking turns round by round, so that a busy spell of the machine hits both.
    const rounds: { session: Measured; login: Measured }[][] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const measured: { session: Measured; login: Measured }[] = [];
      for (const s of servers) {
        const session = await load(`GET /auth/session (app), ${s.count} worker(s)`, {
          url: `${s.api}/app/v1/auth/session`,
          headers: { "x-session-token": s.token },
        });
        const login = await load(
          `POST /auth/login (app), ${s.count} worker(s)`,
          posting(`${s.api}/app/v1/auth/login`, () => ({ email: s.email, password: PASSWORD })),
        );
        measured.push({ session, login });
      }
      rounds.push(measured);
    }
    say(
      `\n## Workers (latchkey serve --workers N from a build, SQLite; median of ${ROUNDS} interleaved rounds; autocannon shares the ${CORES} cores)\n`,
    );
    table(
      servers.flatMap((_, i) => [
        medianOf(rounds.map((r) => r[i]!.session)),
        medianOf(rounds.map((r) => r[i]!.login)),
      ]),
    );
    const scaling = (key: "session" | "login") => median(rounds.map((r) => r[1]![key].rps / r[0]![key].rps));
    say();
    say(`session checks, ${CORES} workers / 1 worker: ${scaling("session").toFixed(2)}x`);
    say(`logins, ${CORES} workers / 1 worker: ${scaling("login").toFixed(2)}x`);
  } finally {
    for (const s of servers) await s.server.stop();
  }
}

/** Start-up of the command from a build: medians of several runs. */
async function startup(): Promise<void> {
  const bin = built();
  const runs = 5;
  const help = median(Array.from({ length: runs }, () => commandMs(bin, ["--help"])));
  const check = median(Array.from({ length: runs }, () => commandMs(bin, ["check"])));
  const serveFresh: number[] = [];
  const serveAgain: number[] = [];
  for (let i = 0; i < 3; i++) {
    const url = `sqlite:${scratch}/startup-${i}.sqlite3`;
    for (const times of [serveFresh, serveAgain]) {
      const server = await serve(bin, serveConfig(url, "latchkey_"));
      times.push(server.readyMs);
      await server.stop();
    }
  }
  say(`\n## Start-up from a build (median ms; spawn to exit, or to listening)\n`);
  say("| command | ms | target |");
  say("|---|---:|---|");
  say(`| latchkey --help | ${help.toFixed(0)} | < 300 |`);
  say(`| latchkey check | ${check.toFixed(0)} | < 300 |`);
  say(`| latchkey serve, new SQLite file (migrations applied) | ${median(serveFresh).toFixed(0)} | < 1000 |`);
  say(`| latchkey serve, migrated SQLite file | ${median(serveAgain).toFixed(0)} | < 1000 |`);
}

/** RSS of `latchkey serve` (rate limits on, in memory) over 200,000 session checks and 5,000 logins. */
async function memory(): Promise<void> {
  const bin = built();
  const server = await serve(
    bin,
    serveConfig(`sqlite:${scratch}/memory.sqlite3`, "latchkey_", {
      // Rate limits on, their counters in memory: the maps must not grow per request. Logins are
      // allowed enough to make 5,000 of them from one address, 16 at a time (every attempt is
      // counted as failed until it succeeds).
      rateLimits: {
        store: "memory",
        actions: { login: "100000/m/ip", login_failed: "100000/m/ip,100000/300s/key" },
      },
    }),
  );
  try {
    const api = `${server.url}/_allauth`;
    const email = unique("memory");
    const token = await signupToken(api, email);
    const check = { url: `${api}/app/v1/auth/session`, headers: { "x-session-token": token } };
    await load("warm-up", { ...check, amount: 20_000 });
    const points: [string, number][] = [["after 20,000 warm-up session checks", rssMiB(server.pid)]];
    // Two rounds: the first may still grow caches and the hashing threads' memory (19 MiB each);
    // whatever the second adds is what grows per request.
    for (const round of ["", " more"]) {
      const checks = await load("session checks", { ...check, amount: 200_000 });
      points.push([`after 200,000${round} session checks (${checks.errors} errors)`, rssMiB(server.pid)]);
      const logins = await load(
        "logins",
        posting(`${api}/app/v1/auth/login`, () => ({ email, password: PASSWORD }), { amount: 5000 }),
      );
      points.push([`after 5,000${round} logins (${logins.errors} errors)`, rssMiB(server.pid)]);
    }
    say(`\n## Memory (latchkey serve from a build, SQLite, rate limits in memory)\n`);
    say("| point | RSS MiB |");
    say("|---|---:|");
    for (const [point, mib] of points) say(`| ${point} | ${mib.toFixed(1)} |`);
  } finally {
    await server.stop();
  }
}

/** Two instances on one PostgreSQL and one Redis, beside one alone. */
async function instances(): Promise<void> {
  const bin = built();
  const prefix = `bench_two_${process.pid}_`;
  const config = serveConfig(POSTGRES_URL, prefix, {
    rateLimits: { store: "redis", redisUrl: REDIS_URL, actions: { login: "100000/m/ip" } },
  });
  const first = await serve(bin, config);
  const second = await serve(bin, config);
  try {
    const email = unique("two");
    const token = await signupToken(`${first.url}/_allauth`, email);
    const check = (server: Served, connections: number, label = "") =>
      load(`GET /auth/session (app) on ${server === first ? "instance A" : "instance B"}${label}`, {
        url: `${server.url}/_allauth/app/v1/auth/session`,
        headers: { "x-session-token": token },
        connections,
      });
    // One alone, then both at once with the same connections between them, in rounds.
    const rounds: { alone: Measured; both: [Measured, Measured] }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const alone = await check(first, CONNECTIONS, " alone");
      const both = await Promise.all([check(first, CONNECTIONS / 2), check(second, CONNECTIONS / 2)]);
      rounds.push({ alone, both });
    }
    const combined = (r: (typeof rounds)[number]) => r.both[0].rps + r.both[1].rps;
    say(
      `\n## Two instances (latchkey serve ×2 from a build, one PostgreSQL, rate limits in one Redis; median of ${ROUNDS} interleaved rounds)\n`,
    );
    table([
      medianOf(rounds.map((r) => r.alone)),
      medianOf(rounds.map((r) => r.both[0])),
      medianOf(rounds.map((r) => r.both[1])),
    ]);
    say();
    say(
      `session checks, both instances together: ${median(rounds.map(combined)).toFixed(0)}/s, ${median(rounds.map((r) => combined(r) / r.alone.rps)).toFixed(2)}x one alone`,
    );
    say("(one machine: the two instances, PostgreSQL, Redis and autocannon share its cores)");
  } finally {
    await first.stop();
    await second.stop();
    await dropTables(prefix);
  }
}

async function dropTables(prefix: string): Promise<void> {
  const { default: pg } = await import("pg");
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  const rows = await pool.query("select tablename from pg_tables where starts_with(tablename, $1)", [prefix]);
  for (const { tablename } of rows.rows as { tablename: string }[])
    await pool.query(`drop table "${tablename}" cascade`);
  await pool.end();
}

/**
 * PostgreSQL seeded at 1,000 users and at --users: the hot endpoints at each size, both servers up
 * at once and the sizes taking turns, endpoint by endpoint, so that a busy spell of the machine
 * hits both alike; each ratio is the median of its rounds' ratios.
 */
async function scale(): Promise<void> {
  const bin = built();
  const { createLatchkey } = await import("../src/latchkey.js");
  const passwordHash = await hash(PASSWORD, { ...OWASP, version: 1, outputLen: 32 });
  const sizes = users === 1000 ? [1000] : [1000, users];
  const seeded: { size: number; prefix: string; seconds: number; seed: Seeded; server?: Served }[] = [];
  try {
    for (const size of sizes) {
      const prefix = `bench_scale_${process.pid}_${size}_`;
      const migrator = createLatchkey({
        database: { url: POSTGRES_URL, tablePrefix: prefix },
        rateLimits: false,
      });
      await migrator.migrate();
      await migrator.close();
      const seed = await seedUsers(POSTGRES_URL, prefix, size, passwordHash);
      seeded.push({ size, prefix, seconds: seed.seconds, seed });
      say(`${size} users: seeded in ${seed.seconds.toFixed(1)} s`);
    }
    for (const entry of seeded) {
      entry.server = await serve(
        bin,
        serveConfig(POSTGRES_URL, entry.prefix, {
          account: {
            loginMethods: ["email"],
            signupFields: ["email*", "password1*"],
            emailVerification: "none",
            loginByCode: { enabled: true },
          },
          mail: { transport: "file", fileDirectory: `${scratch}/mail-${entry.size}` },
        }),
      );
    }
    // Seeded users without an authenticator (every tenth has one: its login stops at 2FA).
    const someone = (size: number) => {
      const i = 1 + Math.floor(Math.random() * size);
      return i % 10 === 0 ? i - 1 || 1 : i;
    };
    // Seeded sessions seen within the minute (odd users), and ones seen before it (even users).
    const seenJustNow = (size: number) => 1 + 2 * Math.floor((Math.random() * size) / 2);
    const seenBefore = (size: number) => 2 * (1 + Math.floor(Math.random() * Math.floor(size / 2)));
    const endpoints: [string, (e: (typeof seeded)[number], api: string) => Promise<Measured>][] = [
      [
        "GET /auth/session (a random seeded session, seen within the minute: one read)",
        (e, api) =>
          load("session", {
            url: `${api}/auth/session`,
            requests: [
              {
                setupRequest: (req) => ({
                  ...req,
                  headers: { "x-session-token": e.seed.token(seenJustNow(e.size)) },
                }),
              },
            ],
          }),
      ],
      [
        "POST /auth/login (a random seeded user)",
        (e, api) =>
          load(
            "login",
            posting(`${api}/auth/login`, () => ({
              email: e.seed.email(someone(e.size)),
              password: PASSWORD,
            })),
          ),
      ],
      [
        "POST /auth/signup (new addresses)",
        (e, api) =>
          load(
            "signup",
            posting(`${api}/auth/signup`, () => ({ email: unique(`scale${e.size}`), password: PASSWORD })),
          ),
      ],
      [
        // Answered 401: the login is pending, its next step the code.
        "POST /auth/code/request (a random seeded user)",
        (e, api) =>
          load(
            "code",
            posting(`${api}/auth/code/request`, () => ({ email: e.seed.email(someone(e.size)) })),
            401,
          ),
      ],
    ];
    const rounds = sizes.length > 1 ? ROUNDS : 1;
    const rows: { name: string; bySize: Measured[]; ratio: number | null }[] = [];
    for (const [name, run] of endpoints) {
      const runs: Measured[][] = [];
      for (let round = 0; round < rounds; round++) {
        const measured: Measured[] = [];
        for (const e of seeded) measured.push(await run(e, `${e.server!.url}/_allauth/app/v1`));
        runs.push(measured);
      }
      rows.push({
        name,
        bySize: seeded.map((_, i) => medianOf(runs.map((r) => r[i]!))),
        ratio: seeded.length > 1 ? median(runs.map((r) => r[1]!.rps / r[0]!.rps)) : null,
      });
    }
    // At the large size only: checks of sessions seen before the minute, each of which writes
    // `last_seen_at` (a small table runs out of such sessions within a second).
    const largest = seeded[seeded.length - 1]!;
    const writing =
      largest.size >= 100_000
        ? await load("writing", {
            url: `${largest.server!.url}/_allauth/app/v1/auth/session`,
            requests: [
              {
                setupRequest: (req) => ({
                  ...req,
                  headers: { "x-session-token": largest.seed.token(seenBefore(largest.size)) },
                }),
              },
            ],
          })
        : null;
    say(
      `\n## PostgreSQL by number of users (latchkey serve from a build, seeded with COPY; ${rounds > 1 ? `median of ${rounds} interleaved rounds` : "one round"})\n`,
    );
    say(
      `| endpoint | ${sizes.map((n) => `${n.toLocaleString("en")} users req/s (p99 ms, errors)`).join(" | ")} |${sizes.length > 1 ? " ratio |" : ""}`,
    );
    say(`|---|${sizes.map(() => "---:").join("|")}|${sizes.length > 1 ? "---:|" : ""}`);
    for (const row of rows) {
      const cells = row.bySize.map((m) => `${m.rps.toFixed(0)} (${m.p99}, ${m.errors})`);
      say(`| ${row.name} | ${cells.join(" | ")} |${row.ratio === null ? "" : ` ${pct(row.ratio)} |`}`);
    }
    if (writing) {
      say();
      say(
        `${largest.size.toLocaleString("en")} users, GET /auth/session of sessions last seen over a minute ago (each check also writes last_seen_at): ${writing.rps.toFixed(0)} req/s (p99 ${writing.p99} ms, ${writing.errors} errors)`,
      );
    }
  } finally {
    for (const e of seeded) {
      await e.server?.stop();
      await dropTables(e.prefix);
    }
  }
}
