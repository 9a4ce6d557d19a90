/**
 * Seeds a Latchkey database on PostgreSQL with `COPY … FROM STDIN`: users (all with one password,
 * hashed once), their primary addresses, one logged-in session each, and a TOTP authenticator for
 * every tenth user. A million users take a few minutes, most of it building the indexes.
 */
import { createHash } from "node:crypto";
import pg from "pg";

/**
 * What the load generator needs of a seeded database. User `i` (1-based) has an authenticator
 * when i % 10 === 0. Its session was last seen "just now" when i is odd (a check within the
 * minute: one read) and two minutes before the seed when i is even (the check that writes
 * `last_seen_at`, once a minute per session: a read and a write).
 */
export interface Seeded {
  email(i: number): string;
  token(i: number): string;
  /** Seconds the seed took. */
  seconds: number;
}

/**
 * A session seen "just now" for as long as the bench runs: its `last_seen_at` lies an hour ahead,
 * so that no check in the run is the one that refreshes it (a real session is seen within the
 * minute when its user is active).
 */
const SEEN_JUST_NOW_MS = 3_600_000;
/** A session last seen longer ago than the minute `last_seen_at` is written at most once in. */
const SEEN_BEFORE_MS = -120_000;

const ROWS_PER_CHUNK = 5000;

/**
 * One COPY FROM STDIN on a pg client, fed from a generator of text-format lines, with
 * backpressure (pg has no COPY stream of its own; this is the protocol's three messages).
 */
class CopyIn {
  private error: Error | null = null;
  callback: ((err: Error | null) => void) | undefined;

  constructor(
    private readonly text: string,
    private readonly lines: () => Generator<string>,
  ) {}

  submit(connection: { query(text: string): void }): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: {
    sendCopyFromChunk(chunk: Buffer): void;
    endCopyFrom(): void;
    stream: NodeJS.WritableStream & { writableLength: number };
  }): void {
    const pump = async () => {
      let chunk: string[] = [];
      for (const line of this.lines()) {
        chunk.push(line);
        if (chunk.length === ROWS_PER_CHUNK) {
          connection.sendCopyFromChunk(Buffer.from(chunk.join("")));
          chunk = [];
          if (connection.stream.writableLength > 8 * 1024 * 1024) {
            await new Promise((resolve) => connection.stream.once("drain", resolve));
          }
        }
      }
      if (chunk.length > 0) connection.sendCopyFromChunk(Buffer.from(chunk.join("")));
      connection.endCopyFrom();
    };
    void pump();
  }

  handleCommandComplete(): void {}
  handleReadyForQuery(): void {
    this.callback?.(this.error);
  }
  handleError(err: Error): void {
    this.error = err;
    this.callback?.(err);
    this.callback = undefined;
  }
  handleCopyData(): void {}
  handleEmptyQuery(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handlePortalSuspended(): void {}
}

function copy(client: pg.PoolClient, text: string, lines: () => Generator<string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const submittable = new CopyIn(text, lines);
    submittable.callback = (err) => (err ? reject(err) : resolve());
    client.query(submittable as unknown as pg.QueryConfig);
  });
}

function sha256(value: string): string {
  return createHash("sha256").update(value).digest("base64url");
}

/** Seeds `count` users into the (migrated, empty) tables of `prefix`. */
export async function seedUsers(
  url: string,
  prefix: string,
  count: number,
  passwordHash: string,
): Promise<Seeded> {
  const started = performance.now();
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const table = (name: string) => `"${prefix}${name}"`;
  const now = Date.now();
  const email = (i: number) => `user${i}@example.com`;
  const token = (i: number) => `seeded-session-token-${i}-0123456789abcdef`;
  const userData = (i: number) =>
    JSON.stringify({
      username: null,
      email: email(i),
      emailVerified: true,
      hasPassword: true,
      isActive: true,
    });
  const sessionData = JSON.stringify({
    methods: [{ method: "password", at: Math.floor(now / 1000), email: "x" }],
  });
  const range = function* (format: (i: number) => string) {
    for (let i = 1; i <= count; i++) yield format(i);
  };
  const client = await pool.connect();
  try {
    await copy(
      client,
      `copy ${table("user")} (id, username, username_lower, password, is_active, date_joined, last_login, extra) from stdin`,
      () => range((i) => `${i}\t\\N\t\\N\t${passwordHash}\t1\t${now}\t\\N\t\\N\n`),
    );
    // The tables that refer to the users, each on a connection of its own, at once: COPY is
    // bound by the server's index work.
    const others = await Promise.all([pool.connect(), pool.connect(), pool.connect()]);
    try {
      await Promise.all([
        copy(
          others[0]!,
          `copy ${table("email_address")} (id, user_id, email, email_lower, verified, is_primary) from stdin`,
          () => range((i) => `${i}\t${i}\t${email(i)}\t${email(i)}\t1\t1\n`),
        ),
        copy(
          others[1]!,
          `copy ${table("session")} (id, token_hash, user_id, user_data, data, created_at, last_seen_at, expires_at, ip, user_agent) from stdin`,
          () =>
            range(
              (i) =>
                `${i}\t${sha256(token(i))}\t${i}\t${userData(i)}\t${sessionData}\t${now - 86_400_000}\t${now + (i % 2 === 1 ? SEEN_JUST_NOW_MS : SEEN_BEFORE_MS)}\t${now + 30 * 86_400_000}\t127.0.0.1\tseed\n`,
            ),
        ),
        copy(
          others[2]!,
          `copy ${table("authenticator")} (id, user_id, type, data, created_at, last_used_at) from stdin`,
          function* () {
            for (let i = 10; i <= count; i += 10)
              yield `${i / 10}\t${i}\ttotp\t{"secret":"JBSWY3DPEHPK3PXP"}\t${now}\t\\N\n`;
          },
        ),
      ]);
    } finally {
      for (const other of others) other.release();
    }
    for (const [name, last] of [
      ["user", count],
      ["email_address", count],
      ["session", count],
      ["authenticator", Math.floor(count / 10)],
    ] as const) {
      await client.query(
        `select setval(pg_get_serial_sequence('${table(name)}', 'id'), ${Math.max(1, last)})`,
      );
    }
    for (const name of ["user", "email_address", "session", "authenticator"])
      await client.query(`analyze ${table(name)}`);
  } finally {
    client.release();
    await pool.end();
  }
  return { email, token, seconds: (performance.now() - started) / 1000 };
}
