/**
 * `npm run bench`: throughput, latency, start-up and memory of Latchkey, each figure a ratio to a
 * reference measured in the same run (the machine is shared and noisy: only ratios compare across
 * runs). Sections (all by default; `--only core,workers,…` picks some):
 *
 * - core: the hot endpoints of Latchkey from a build in a server process (bench/server.ts) beside
 *   bare node:http and "bare + one indexed read" on SQLite and on PostgreSQL; logins and signups
 *   beside the raw argon2id rate; session checks while signups saturate the hasher.
 * - workers: `latchkey serve --workers 1` and `--workers <cores>` from a build.
 * - startup: `latchkey --help`, `check`, and `serve` until it listens, from a build.
 * - memory: the RSS of `latchkey serve` over 200,000 session checks and 5,000 logins.
 * - instances: two `latchkey serve` on one PostgreSQL and one Redis, beside one alone.
 * - scale: PostgreSQL seeded with `COPY` at 1,000 users and at `--users N` (default 1,000 only):
 *   session checks, logins, signups and code requests at each size.
 *
 * Autocannon runs in this process, on the same cores as the servers: every rate is the rate the
 * machine reaches with its load generator on board.
 */
import { fork } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { hash } from "@node-rs/argon2";
import autocannon from "autocannon";
import { type Build, buildPackage, commandMs, rssMiB, type Served, serve } from "./build.js";
import { seedUsers } from "./seed.js";

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

/** argon2id hashes per second with the default parameters, as many in flight as the cores take. */
async function rawHashRate(seconds: number): Promise<number> {
  const deadline = Date.now() + seconds * 1000;
  let done = 0;
  const worker = async () => {
    while (Date.now() < deadline) {
      await hash(PASSWORD, OWASP);
      done++;
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: Math.max(4, CORES * 2) }, worker));
  return done / ((Date.now() - started) / 1000);
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
  sessionCookie: string;
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
        { url: `${api}/browser/v1/auth/session`, headers: { cookie: `sessionid=${f.sessionCookie}` } },
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
    const hashRate = await rawHashRate(DURATION);
    const login = await load(
      "POST /auth/login (app)",
      posting(`${api}/app/v1/auth/login`, () => ({ email: f.email, password: f.password })),
    );
    const signup = await load(
      "POST /auth/signup (app)",
      posting(`${api}/app/v1/auth/signup`, () => ({ email: unique("load"), password: f.password })),
    );
    // Session checks while signups saturate the hasher.
    const [underLoad] = await Promise.all([
      load("GET /auth/session (app) during saturating signups", {
        url: `${api}/app/v1/auth/session`,
        headers: { "x-session-token": f.appToken },
        connections: 8,
      }),
      load(
        "signups",
        posting(`${api}/app/v1/auth/signup`, () => ({ email: unique("mix"), password: f.password }), {
          connections: 8,
        }),
      ),
    ]);
    say(
      `\n## Hot endpoints (in-process server; SQLite WAL file and PostgreSQL on this machine; session checks: median of ${ROUNDS} interleaved rounds)\n`,
    );
    table(
      [bare, sqliteRead, appSession, browserSession, pgRead, pgSession, config, login, signup, underLoad!],
      bare,
    );
    say();
    say(
      `raw argon2id (19 MiB, t=2, p=1) hashes/s on all cores, in the load generator's process: ${hashRate.toFixed(1)}`,
    );
    say(`| ratio | measured | target |`);
    say(`|---|---:|---|`);
    say(`| app session check / (bare + one SQLite read) | ${pct(ratio(2, 1))} | ≥ 90% |`);
    say(`| browser session check / (bare + one SQLite read) | ${pct(ratio(3, 1))} | ≥ 90% |`);
    say(`| app session check on PostgreSQL / (bare + one PostgreSQL read) | ${pct(ratio(5, 4))} | ≥ 90% |`);
    say(`| (bare + one SQLite read) / bare | ${pct(ratio(1, 0))} | |`);
    say(`| app session check / bare | ${pct(ratio(2, 0))} | |`);
    say(`| logins/s / raw hash rate | ${pct(login.rps / hashRate)} | ≥ 85% |`);
    say(`| signups/s / raw hash rate | ${pct(signup.rps / hashRate)} | |`);
    say(
      `| session checks during saturating signups / unloaded | ${pct(underLoad!.rps / appSession.rps)} (p99 ${underLoad!.p99} ms) | ≥ 40%, p99 < 25 ms |`,
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
  const rows: { workers: number; session: Measured; login: Measured }[] = [];
  for (const count of [1, CORES]) {
    const server = await serve(bin, serveConfig(`sqlite:${scratch}/workers-${count}.sqlite3`, "latchkey_"), {
      workers: count,
    });
    try {
      const api = `${server.url}/_allauth`;
      const email = unique("workers");
      const token = await signupToken(api, email);
      const session = await load(`GET /auth/session (app), ${count} worker(s)`, {
        url: `${api}/app/v1/auth/session`,
        headers: { "x-session-token": token },
      });
      const login = await load(
        `POST /auth/login (app), ${count} worker(s)`,
        posting(`${api}/app/v1/auth/login`, () => ({ email, password: PASSWORD })),
      );
      rows.push({ workers: count, session, login });
    } finally {
      await server.stop();
    }
  }
  say(
    `\n## Workers (latchkey serve --workers N from a build, SQLite; autocannon shares the ${CORES} cores)\n`,
  );
  table(rows.flatMap((r) => [r.session, r.login]));
  const [one, all] = rows;
  say();
  say(`session checks, ${CORES} workers / 1 worker: ${(all!.session.rps / one!.session.rps).toFixed(2)}x`);
  say(`logins, ${CORES} workers / 1 worker: ${(all!.login.rps / one!.login.rps).toFixed(2)}x`);
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
      // allowed enough to make 5,000 of them from one address.
      rateLimits: { store: "memory", actions: { login: "100000/m/ip" } },
    }),
  );
  try {
    const api = `${server.url}/_allauth`;
    const email = unique("memory");
    const token = await signupToken(api, email);
    const check = { url: `${api}/app/v1/auth/session`, headers: { "x-session-token": token } };
    await load("warm-up", { ...check, amount: 20_000 });
    const start = rssMiB(server.pid);
    const checks = await load("200,000 session checks", { ...check, amount: 200_000, duration: undefined });
    const afterChecks = rssMiB(server.pid);
    const logins = await load(
      "5,000 logins",
      posting(`${api}/app/v1/auth/login`, () => ({ email, password: PASSWORD }), {
        url: "",
        amount: 5000,
        duration: undefined,
      }),
    );
    const afterLogins = rssMiB(server.pid);
    // And again: what a second round adds is what grows per request.
    await load("200,000 session checks again", { ...check, amount: 200_000, duration: undefined });
    const afterAgain = rssMiB(server.pid);
    say(`\n## Memory (latchkey serve from a build, SQLite, rate limits in memory)\n`);
    say("| point | RSS MiB |");
    say("|---|---:|");
    say(`| after 20,000 warm-up session checks | ${start.toFixed(1)} |`);
    say(`| after 200,000 session checks (${checks.errors} errors) | ${afterChecks.toFixed(1)} |`);
    say(`| after 5,000 logins (${logins.errors} errors) | ${afterLogins.toFixed(1)} |`);
    say(`| after 200,000 more session checks | ${afterAgain.toFixed(1)} |`);
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
    const check = (server: Served, connections: number) =>
      load(`GET /auth/session (app) on ${server === first ? "instance A" : "instance B"}`, {
        url: `${server.url}/_allauth/app/v1/auth/session`,
        headers: { "x-session-token": token },
        connections,
      });
    const alone = await check(first, CONNECTIONS);
    const both = await Promise.all([check(first, CONNECTIONS / 2), check(second, CONNECTIONS / 2)]);
    const combined = both[0].rps + both[1].rps;
    say(`\n## Two instances (latchkey serve ×2 from a build, one PostgreSQL, rate limits in one Redis)\n`);
    table([alone, ...both]);
    say();
    say(
      `session checks, both instances together: ${combined.toFixed(0)}/s, ${(combined / alone.rps).toFixed(2)}x one alone`,
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

/** PostgreSQL seeded at 1,000 users and at --users: the hot endpoints at each size. */
async function scale(): Promise<void> {
  const bin = built();
  const { createLatchkey } = await import("../src/latchkey.js");
  const passwordHash = await hash(PASSWORD, { ...OWASP, version: 1, outputLen: 32 });
  const sizes = users === 1000 ? [1000] : [1000, users];
  const results: { users: number; seconds: number; rows: Measured[] }[] = [];
  for (const size of sizes) {
    const prefix = `bench_scale_${process.pid}_${size}_`;
    const migrator = createLatchkey({
      database: { url: POSTGRES_URL, tablePrefix: prefix },
      rateLimits: false,
    });
    await migrator.migrate();
    await migrator.close();
    const seeded = await seedUsers(POSTGRES_URL, prefix, size, passwordHash);
    const server = await serve(
      bin,
      serveConfig(POSTGRES_URL, prefix, {
        account: {
          loginMethods: ["email"],
          signupFields: ["email*", "password1*"],
          emailVerification: "none",
          loginByCode: { enabled: true },
        },
        mail: { transport: "file", fileDirectory: `${scratch}/mail-${size}` },
      }),
    );
    try {
      const api = `${server.url}/_allauth/app/v1`;
      // Seeded users without an authenticator (every tenth has one: its login stops at 2FA).
      const someone = () => {
        const i = 1 + Math.floor(Math.random() * size);
        return i % 10 === 0 ? i - 1 || 1 : i;
      };
      const session = await load("GET /auth/session (a random seeded session)", {
        url: `${api}/auth/session`,
        requests: [
          { setupRequest: (req) => ({ ...req, headers: { "x-session-token": seeded.token(someone()) } }) },
        ],
      });
      const login = await load(
        "POST /auth/login (a random seeded user)",
        posting(`${api}/auth/login`, () => ({ email: seeded.email(someone()), password: PASSWORD })),
      );
      const signup = await load(
        "POST /auth/signup (new addresses)",
        posting(`${api}/auth/signup`, () => ({ email: unique(`scale${size}`), password: PASSWORD })),
      );
      const code = await load(
        "POST /auth/code/request (a random seeded user)",
        posting(`${api}/auth/code/request`, () => ({ email: seeded.email(someone()) })),
      );
      results.push({ users: size, seconds: seeded.seconds, rows: [session, login, signup, code] });
    } finally {
      await server.stop();
      await dropTables(prefix);
    }
  }
  say(`\n## PostgreSQL by number of users (latchkey serve from a build; seeded with COPY)\n`);
  for (const r of results) say(`${r.users} users: seeded in ${r.seconds.toFixed(1)} s`);
  say();
  say(
    `| endpoint | ${results.map((r) => `${r.users} users req/s (p99 ms, errors)`).join(" | ")} |${results.length > 1 ? " ratio |" : ""}`,
  );
  say(`|---|${results.map(() => "---:").join("|")}|${results.length > 1 ? "---:|" : ""}`);
  results[0]!.rows.forEach((row, i) => {
    const cells = results.map(
      (r) => `${r.rows[i]!.rps.toFixed(0)} (${r.rows[i]!.p99}, ${r.rows[i]!.errors})`,
    );
    const ratio = results.length > 1 ? ` ${pct(results[1]!.rows[i]!.rps / row.rps)} |` : "";
    say(`| ${row.name} | ${cells.join(" | ")} |${ratio}`);
  });
}
