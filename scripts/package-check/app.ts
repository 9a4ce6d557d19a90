// The scratch application of scripts/package-check.sh: written as a user of the installed package
// would, type-checked against its declarations (TypeScript 5 and 7, several module resolutions,
// skipLibCheck off), then run.
import { mkdtempSync, rmSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AuthenticatedResponse,
  createLatchkey,
  type Latchkey,
  type LatchkeyOptions,
  type LatchkeySession,
  MissingPackageError,
  ServiceUnavailableError,
} from "latchkey";
import { latchkeyExpress } from "latchkey/express";
import { requireUser as requireExpressUser } from "latchkey/middleware/express";
import { csrfProtect, requireUser } from "latchkey/middleware/node";
import { toNextHandlers } from "latchkey/next";
import { serve } from "latchkey/node";

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`package check: ${message}`);
}

/** Your own route on node:http, protected by the middleware. */
function ownRoute(latchkey: Latchkey) {
  const protect = requireUser(latchkey);
  const csrf = csrfProtect(latchkey);
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method === "POST" && !csrf(req, res)) return;
    const caller = await protect(req, res);
    if (!caller) return;
    res.end(JSON.stringify({ id: caller.userId }));
  };
}

/** A package the options need and the application did not install: a clear error naming it. */
async function expectMissing(options: LatchkeyOptions, packageName: string): Promise<void> {
  const latchkey = createLatchkey({ ...options, logLevel: "silent" });
  try {
    await latchkey.ready();
    throw new Error(`package check: ${packageName} should be missing`);
  } catch (err) {
    assert(err instanceof MissingPackageError, `expected MissingPackageError, got ${String(err)}`);
    assert(err.packageName === packageName, `the error names ${err.packageName}, not ${packageName}`);
    assert(err.message.includes(`npm install ${packageName}`), err.message);
  } finally {
    await latchkey.close();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "latchkey-package-check-"));
  const latchkey = createLatchkey({
    database: { url: `sqlite:${join(dir, "auth.sqlite3")}` },
    logLevel: "warn",
  });
  try {
    await latchkey.ready();
    const config = await latchkey.handler(new Request("http://localhost/_allauth/app/v1/config"));
    assert(config.status === 200, `GET config answered ${config.status}`);

    const signup = await latchkey.handler(
      new Request("http://localhost/_allauth/app/v1/auth/signup", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "ada", password: "correct horse battery staple" }),
      }),
    );
    const body = (await signup.json()) as AuthenticatedResponse;
    assert(signup.status === 200, `signup answered ${signup.status}`);
    const token = body.meta.session_token;
    assert(token, "no session token");
    const session: LatchkeySession | null = await latchkey.getSession(
      new Headers({ "x-session-token": token }),
    );
    assert(session?.user.username === "ada", "getSession did not find the user");

    const running = await serve(latchkey, { port: 0 });
    try {
      const health = await fetch(`${running.url}/_allauth/health/ready`);
      assert(health.status === 200, `health/ready answered ${health.status}`);
    } finally {
      await running.close();
    }
    // Types of the other entry points: they compile against the published declarations.
    const handlers = toNextHandlers(latchkey);
    const middleware = [latchkeyExpress(latchkey), requireExpressUser(latchkey), ownRoute(latchkey)];
    assert(typeof handlers.GET === "function" && middleware.length === 3, "entry points");
    assert(ServiceUnavailableError.name === "ServiceUnavailableError", "exports");
  } finally {
    await latchkey.close();
    rmSync(dir, { recursive: true, force: true });
  }

  // The optional peer dependencies are not installed here.
  await expectMissing({ database: { url: "postgres://nobody@127.0.0.1:1/none" } }, "pg");
  await expectMissing(
    { database: { url: "sqlite::memory:" }, mail: { transport: "smtp", smtpHost: "127.0.0.1" } },
    "nodemailer",
  );
  await expectMissing(
    { database: { url: "sqlite::memory:" }, rateLimits: { store: "redis", redisUrl: "redis://127.0.0.1:1" } },
    "ioredis",
  );
  console.log("package check: createLatchkey on SQLite answered; missing optional packages are named");
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
