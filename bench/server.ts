/**
 * The benchmark's server process: a bare node:http JSON endpoint (the baseline), the one-read
 * references (bare + one indexed SQLite read, bare + one indexed PostgreSQL read) and Latchkey on
 * SQLite and on PostgreSQL, side by side in one process so all see the same machine. Prints one
 * JSON line with their ports and the fixtures the load generator needs, then serves until killed.
 */
import { rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import SQLite from "better-sqlite3";
import pg from "pg";
import { pino } from "pino";

// Latchkey from the build the load generator made (BENCH_BUILD, its dist/), as `latchkey serve`
// runs it; from the sources when run on its own.
const build = process.env.BENCH_BUILD;
const { toNodeListener } = (await import(
  build ? `${build}/dist/adapters/node.js` : "../src/adapters/node.js"
)) as typeof import("../src/adapters/node.js");
const { createLatchkey } = (await import(
  build ? `${build}/dist/latchkey.js` : "../src/latchkey.js"
)) as typeof import("../src/latchkey.js");

const mailDir = `/tmp/latchkey-bench-mail-${process.pid}`;
const databaseUrl = `sqlite:/tmp/latchkey-bench-${process.pid}.sqlite3`;
const postgresUrl = process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const prefix = `bench_${process.pid}_`;
const benchOptions = (url: string) => ({
  database: { url, tablePrefix: prefix },
  rateLimits: false as const,
  // No verification mail: the signup figure measures Latchkey, not the mail transport.
  account: {
    loginMethods: ["email" as const],
    signupFields: ["email*", "password1*"],
    emailVerification: "none" as const,
  },
  mail: { transport: "file" as const, fileDirectory: mailDir },
});
const latchkey = createLatchkey(benchOptions(databaseUrl), { logger: pino({ level: "warn" }) });
const onPostgres = createLatchkey(benchOptions(postgresUrl), { logger: pino({ level: "warn" }) });
await latchkey.ready();
await onPostgres.ready();

const listen = (server: ReturnType<typeof createServer>) =>
  new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
  );

const body = Buffer.from(JSON.stringify({ status: 200, data: { ok: true } }));
const bare = createServer((_req, res) => {
  res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
  res.end(body);
});
// A second instance for the enumeration timings: mandatory verification (so a taken email at
// signup is answered like a new one) and login by code, mail to files.
const enumeration = createLatchkey(
  {
    database: { url: `sqlite:/tmp/latchkey-bench-enum-${process.pid}.sqlite3`, tablePrefix: "enum_" },
    rateLimits: false,
    account: {
      loginMethods: ["email"],
      signupFields: ["email*", "password1*"],
      emailVerification: "mandatory",
      loginByCode: { enabled: true },
    },
    mail: { transport: "file", fileDirectory: `${mailDir}-enum` },
  },
  { logger: pino({ level: "warn" }) },
);
await enumeration.ready();
await enumeration.handler(
  new Request("http://127.0.0.1/_allauth/app/v1/auth/signup", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "known@example.com", password: "correct horse battery staple" }),
  }),
);

// The reference the session check is held to: one indexed SQLite read per request over node:http.
const kvFile = `/tmp/latchkey-bench-kv-${process.pid}.sqlite3`;
const kv = new SQLite(kvFile);
kv.pragma("journal_mode = WAL");
kv.exec("create table kv (key text primary key, value text not null)");
kv.prepare("insert into kv values (?, ?)").run("session", JSON.stringify({ user: 1 }));
const kvRead = kv.prepare("select value from kv where key = ?");
const sqliteLookup = createServer((req, res) => {
  const row = kvRead.get(req.headers["x-key"]) as { value: string } | undefined;
  const out = JSON.stringify({ status: row ? 200 : 401, data: row ? JSON.parse(row.value) : null });
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(out) });
  res.end(out);
});
// The same reference on PostgreSQL: one indexed read by a named (prepared) statement, through a
// pool the size of Latchkey's.
const pgPool = new pg.Pool({ connectionString: postgresUrl, max: onPostgres.options.database.poolSize });
const kvTable = `${prefix}kv`;
await pgPool.query(`create table ${kvTable} (key text primary key, value text not null)`);
await pgPool.query(`insert into ${kvTable} values ('session', $1)`, [JSON.stringify({ user: 1 })]);
const postgresLookup = createServer((req, res) => {
  pgPool
    .query({
      name: "bench_kv",
      text: `select value from ${kvTable} where key = $1`,
      values: [req.headers["x-key"]],
    })
    .then((result) => {
      const row = result.rows[0] as { value: string } | undefined;
      const out = JSON.stringify({ status: row ? 200 : 401, data: row ? JSON.parse(row.value) : null });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(out) });
      res.end(out);
    });
});
const api = createServer(toNodeListener(latchkey));
const postgresApi = createServer(toNodeListener(onPostgres));
const enumerationApi = createServer(toNodeListener(enumeration));
const [barePort, sqlitePort, postgresPort, apiPort, postgresApiPort, enumerationPort] = await Promise.all([
  listen(bare),
  listen(sqliteLookup),
  listen(postgresLookup),
  listen(api),
  listen(postgresApi),
  listen(enumerationApi),
]);

// Fixtures: one account, an app session token and a browser session cookie for it.
const base = `http://127.0.0.1:${apiPort}/_allauth`;
const password = "correct horse battery staple";
const signup = await fetch(`${base}/app/v1/auth/signup`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ email: "bench@example.com", password }),
});
const appToken = ((await signup.json()) as { meta: { session_token: string } }).meta.session_token;
const config = await fetch(`${base}/browser/v1/config`);
const csrf = /csrftoken=([^;]+)/.exec(config.headers.get("set-cookie") ?? "")![1]!;
const login = await fetch(`${base}/browser/v1/auth/login`, {
  method: "POST",
  headers: { "content-type": "application/json", "x-csrftoken": csrf, cookie: `csrftoken=${csrf}` },
  body: JSON.stringify({ email: "bench@example.com", password }),
});
// What a browser sends from now on: the session cookie, and the CSRF cookie as the login rotated it.
const loginCookies = login.headers.getSetCookie().join("; ");
const browserCookies = `sessionid=${/sessionid=([^;]+)/.exec(loginCookies)![1]!}; csrftoken=${/csrftoken=([^;]+)/.exec(loginCookies)![1]!}`;
const postgresSignup = await fetch(`http://127.0.0.1:${postgresApiPort}/_allauth/app/v1/auth/signup`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ email: "bench@example.com", password }),
});
const postgresToken = ((await postgresSignup.json()) as { meta: { session_token: string } }).meta
  .session_token;

console.log(
  JSON.stringify({
    barePort,
    sqlitePort,
    postgresPort,
    apiPort,
    postgresApiPort,
    postgresToken,
    enumerationPort,
    appToken,
    browserCookies,
    password,
    email: "bench@example.com",
  }),
);

const stop = async () => {
  bare.close();
  sqliteLookup.close();
  api.close();
  postgresApi.close();
  postgresLookup.close();
  enumerationApi.close();
  await onPostgres.close();
  const tables = await pgPool.query("select tablename from pg_tables where starts_with(tablename, $1)", [
    prefix,
  ]);
  for (const { tablename } of tables.rows as { tablename: string }[]) {
    await pgPool.query(`drop table if exists "${tablename}" cascade`).catch(() => {});
  }
  await pgPool.end();
  await enumeration.close();
  for (const suffix of ["", "-wal", "-shm"])
    rmSync(`/tmp/latchkey-bench-enum-${process.pid}.sqlite3${suffix}`, { force: true });
  rmSync(`${mailDir}-enum`, { recursive: true, force: true });
  kv.close();
  for (const suffix of ["", "-wal", "-shm"]) rmSync(kvFile + suffix, { force: true });
  await latchkey.close();
  for (const suffix of ["", "-wal", "-shm"])
    rmSync(databaseUrl.slice("sqlite:".length) + suffix, { force: true });
  rmSync(mailDir, { recursive: true, force: true });
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
