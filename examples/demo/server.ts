/**
 * The demo's server: Latchkey and the single-page app (built into dist/ by `vite build`) on one
 * origin, so the app calls the API with its session cookie and no CORS. Mail and texts are kept
 * in memory and shown by the app's mailbox page (GET /dev/mailbox), and printed to the console.
 *
 *   npm run demo               links in mail: verification and password reset by link
 *   npm run demo -- --codes    codes in mail: verification and password reset by code, passkey signup
 *
 * PORT (default 3000), DEMO_DATABASE (default sqlite:demo.sqlite3 beside this file), and
 * DEMO_OIDC_ISSUER with DEMO_OIDC_CLIENT_ID and DEMO_OIDC_CLIENT_SECRET to offer an OpenID
 * Connect provider besides the development one. A development setup only: never deploy this.
 */
import { readFile } from "node:fs/promises";
import { createServer, type ServerResponse } from "node:http";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createLatchkey, type LatchkeyOptions, type MailMessage, type SmsMessage } from "latchkey";
import { answerClientError, isUnder, toNodeListener } from "latchkey/node";

const here = fileURLToPath(new URL(".", import.meta.url));
const { values: flags } = parseArgs({ options: { codes: { type: "boolean", default: false } } });
const codes = flags.codes;
const port = Number(process.env.PORT ?? 3000);
const origin = `http://localhost:${port}`;

/** What the dev mailbox shows: every mail and text since the server started, newest last. */
interface MailboxEntry {
  id: number;
  kind: "mail" | "text";
  to: string;
  subject: string;
  body: string;
  /** The links and the code the message carries, picked out for the mailbox page. */
  links: string[];
  code: string | null;
  at: number;
}
const mailbox: MailboxEntry[] = [];

/** Mail templates put a code on a line of its own, indented; texts start with it. */
function codeIn(kind: MailboxEntry["kind"], body: string): string | null {
  const match = kind === "mail" ? /^ {4}(\S+)$/m.exec(body) : /^([A-Z0-9-]{4,}) is your/.exec(body);
  return match?.[1] ?? null;
}

function keep(kind: MailboxEntry["kind"], to: string, subject: string, body: string): void {
  const links = body.match(/https?:\/\/\S+/g) ?? [];
  const entry = {
    id: mailbox.length + 1,
    kind,
    to,
    subject,
    body,
    links,
    code: codeIn(kind, body),
    at: Date.now(),
  };
  mailbox.push(entry);
  console.log(`[mailbox] ${kind} to ${to}: ${subject}${entry.code ? ` — code ${entry.code}` : ""}`);
  for (const link of links) console.log(`[mailbox]   ${link}`);
}

const oidc = process.env.DEMO_OIDC_ISSUER
  ? {
      providerId: "oidc",
      name: "OpenID Connect",
      clientId: process.env.DEMO_OIDC_CLIENT_ID ?? "latchkey-demo",
      secret: process.env.DEMO_OIDC_CLIENT_SECRET ?? "",
      settings: { serverUrl: process.env.DEMO_OIDC_ISSUER },
    }
  : null;

const options: LatchkeyOptions = {
  siteName: "Latchkey demo",
  database: { url: process.env.DEMO_DATABASE ?? `sqlite:${join(here, "demo.sqlite3")}` },
  // Mailed links open the app's pages.
  frontendUrls: {
    accountConfirmEmail: `${origin}/account/verify-email/{key}`,
    accountResetPassword: `${origin}/account/password/reset`,
    accountResetPasswordFromKey: `${origin}/account/password/reset/key/{key}`,
    accountSignup: `${origin}/account/signup`,
    socialaccountLoginError: `${origin}/account/provider/callback`,
  },
  account: {
    loginMethods: ["email", "username", "phone"],
    signupFields: ["email*", "username*", "password1*", "phone"],
    emailVerification: "mandatory",
    // A mailed link opened in the browser that signed up goes on with that signup's login.
    loginOnEmailConfirmation: true,
    emailVerificationByCode: { enabled: codes },
    passwordResetByCode: { enabled: codes },
    loginByCode: { enabled: true },
    emailNotifications: true,
  },
  mfa: {
    supportedTypes: ["recovery_codes", "totp", "webauthn"],
    passkeyLogin: true,
    // Passkey signup proves the address by code.
    passkeySignup: codes,
    trust: { enabled: true },
    // A code of the next time step is taken too: phones' clocks drift.
    totp: { tolerance: 1 },
  },
  // Every request to a demo on this machine comes from one address, so per-address limits would
  // soon refuse someone trying every flow (and the end-to-end tests). A deployment keeps them.
  rateLimits: false,
  socialaccount: {
    providers: {
      // The development provider: its login page lets anyone be anyone. Never in production.
      dummy: {},
      ...(oidc ? { openid_connect: { apps: [oidc] } } : {}),
    },
  },
};

const latchkey = createLatchkey(options, {
  sendMail: async (mail: MailMessage) => keep("mail", mail.to, mail.subject, mail.text),
  sendSms: async (text: SmsMessage) => keep("text", text.to, text.kind.replace(/_/g, " "), text.body),
});
await latchkey.ready();

const api = toNodeListener(latchkey);
const app = join(here, "dist");
const types: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/** A file of the built app, or its index.html for the app's own routes (/account/login, …). */
async function sendApp(path: string, res: ServerResponse): Promise<void> {
  const file = normalize(join(app, decodeURIComponent(path)));
  const asset = file.startsWith(`${app}/`) && extname(file) !== "" ? file : join(app, "index.html");
  try {
    const body = await readFile(asset);
    res.writeHead(200, { "content-type": types[extname(asset)] ?? "application/octet-stream" });
    res.end(body);
  } catch {
    const missing = asset.endsWith("index.html") ? "The app is not built: run `npm run build`." : "Not found";
    res.writeHead(404, { "content-type": "text/plain" }).end(missing);
  }
}

const server = createServer({ requireHostHeader: false }, (req, res) => {
  const path = new URL(req.url ?? "/", origin).pathname;
  if (latchkey.prefixes.some((prefix) => isUnder(path, prefix))) return api(req, res);
  if (path === "/dev/mailbox") {
    res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
    return res.end(JSON.stringify(mailbox));
  }
  if (req.method !== "GET" && req.method !== "HEAD") return res.writeHead(405).end();
  sendApp(path, res).catch(() => res.writeHead(500).end());
});
server.on("clientError", answerClientError);
server.listen(port, "127.0.0.1", () => {
  console.log(`Latchkey demo (${codes ? "codes" : "links"} in mail): ${origin}`);
  console.log(`Mail and texts show at ${origin}/mailbox and here.`);
  if (oidc) {
    console.log(
      `OpenID Connect at ${oidc.settings.serverUrl}: redirect URI ${origin}/accounts/oidc/oidc/login/callback/`,
    );
  }
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    server.close();
    server.closeAllConnections();
    latchkey.close().finally(() => process.exit(0));
  });
}
