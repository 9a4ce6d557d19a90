/**
 * The benchmark's server process: a bare node:http JSON endpoint (the baseline) and Latchkey,
 * side by side in one process so both see the same machine. Prints one JSON line with their
 * ports and the fixtures the load generator needs, then serves until killed.
 */
import { rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import SQLite from "better-sqlite3";
import { pino } from "pino";
import { toNodeListener } from "../src/adapters/node.js";
import { createLatchkey } from "../src/latchkey.js";

const mailDir = `/tmp/latchkey-bench-mail-${process.pid}`;
const databaseUrl = process.env.BENCH_DATABASE_URL ?? `sqlite:/tmp/latchkey-bench-${process.pid}.sqlite3`;
const latchkey = createLatchkey(
  {
    database: { url: databaseUrl, tablePrefix: `bench_${process.pid}_` },
    rateLimits: false,
    // No verification mail: the signup figure measures Latchkey, not the mail transport.
    account: { loginMethods: ["email"], signupFields: ["email*", "password1*"], emailVerification: "none" },
    mail: { transport: "file", fileDirectory: mailDir },
  },
  { logger: pino({ level: "warn" }) },
);
await latchkey.ready();

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
const api = createServer(toNodeListener(latchkey));
const enumerationApi = createServer(toNodeListener(enumeration));
const [barePort, sqlitePort, apiPort, enumerationPort] = await Promise.all([
  listen(bare),
  listen(sqliteLookup),
  listen(api),
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
const sessionCookie = /sessionid=([^;]+)/.exec(login.headers.getSetCookie().join("; "))![1]!;

console.log(
  JSON.stringify({
    barePort,
    sqlitePort,
    apiPort,
    enumerationPort,
    appToken,
    sessionCookie,
    password,
    email: "bench@example.com",
  }),
);

const stop = async () => {
  bare.close();
  sqliteLookup.close();
  api.close();
  enumerationApi.close();
  await enumeration.close();
  for (const suffix of ["", "-wal", "-shm"])
    rmSync(`/tmp/latchkey-bench-enum-${process.pid}.sqlite3${suffix}`, { force: true });
  rmSync(`${mailDir}-enum`, { recursive: true, force: true });
  kv.close();
  for (const suffix of ["", "-wal", "-shm"]) rmSync(kvFile + suffix, { force: true });
  await latchkey.close();
  if (databaseUrl.startsWith("sqlite:/tmp/")) {
    for (const suffix of ["", "-wal", "-shm"])
      rmSync(databaseUrl.slice("sqlite:".length) + suffix, { force: true });
  }
  rmSync(mailDir, { recursive: true, force: true });
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
