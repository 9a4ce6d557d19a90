import { createHmac } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { pino } from "pino";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import {
  createSmsSender,
  renderSmsTemplate,
  type SmsLogger,
  type SmsTransportOptions,
  smsTemplateNames,
} from "../../src/sms/index.js";
import { newPhone, pendingFlow } from "../account/phone-helpers.js";
import { PASSWORD } from "../helpers/accounts.js";
import { clients, expectStatus } from "../helpers/client.js";
import { startLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";

/**
 * The SMS transports: console and file for development, the signed webhook and Twilio's
 * Messages API against local HTTP servers (what they receive is checked as the receiving side
 * would check it), and what a failing gateway does: a clear logged error, never a failed request.
 */

const SECRET = "a-webhook-secret-of-some-length";
const TO = "+31612345678";

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

/** A local HTTP server answering with `answer`; what it received is kept. */
async function gateway(
  answer: (req: Received, n: number, res: ServerResponse) => void,
): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const got = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      received.push(got);
      answer(got, received.length, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received };
}

/** A logger that keeps what it is told. */
function recordingLogger(): SmsLogger & {
  lines: { level: string; obj: Record<string, unknown>; msg?: string }[];
} {
  const lines: { level: string; obj: Record<string, unknown>; msg?: string }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => {
    lines.push({ level, obj: obj as Record<string, unknown>, ...(msg !== undefined ? { msg } : {}) });
  };
  return { lines, info: at("info"), warn: at("warn"), error: at("error") };
}

/** Quick retries, and a send() that waits for the whole delivery, so the log is complete after it. */
const FAST = { timeoutMs: 2000, retries: 2, retryDelayMs: 1 };

function sender(transport: SmsTransportOptions, logger: SmsLogger) {
  const sms = createSmsSender({ transport, siteName: "Example", sendTimeoutMs: 30_000 }, logger);
  onTestFinished(() => sms.close());
  return sms;
}

function signature(body: string): string {
  return `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;
}

describe("SMS templates", () => {
  it("are short, carry the code first and name the site", () => {
    for (const name of smsTemplateNames) {
      const text = renderSmsTemplate(name, "Example Site", { code: "WDJB-MJHT" } as never);
      expect(text.length, name).toBeLessThanOrEqual(160);
      expect(text).toContain("Example Site");
    }
    expect(renderSmsTemplate("verification_code", "Example", { code: "WDJB-MJHT" })).toBe(
      "WDJB-MJHT is your Example verification code.",
    );
    expect(renderSmsTemplate("login_code", "Ex\nample", { code: "123456" })).toBe(
      "123456 is your Ex ample sign-in code.",
    );
  });
});

describe("console and file transports", () => {
  let directory: string | undefined;
  afterEach(() => {
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  it("prints each text", async () => {
    const stream = new PassThrough();
    let printed = "";
    stream.on("data", (chunk: Buffer) => {
      printed += chunk.toString();
    });
    const sms = sender({ kind: "console", stream }, recordingLogger());
    await sms.sendTemplate(TO, "verification_code", { code: "WDJB-MJHT" });
    expect(printed).toContain(`SMS to ${TO} (verification_code)`);
    expect(printed).toContain("WDJB-MJHT is your Example verification code.");
  });

  it("writes one JSON file per text, in send order", async () => {
    directory = mkdtempSync(join(tmpdir(), "latchkey-sms-"));
    const sms = sender({ kind: "file", directory }, recordingLogger());
    await Promise.all([
      sms.sendTemplate(TO, "login_code", { code: "111111" }),
      sms.sendTemplate(TO, "login_code", { code: "222222" }),
    ]);
    const files = readdirSync(directory).sort();
    expect(files).toHaveLength(2);
    const texts = files.map((f) => JSON.parse(readFileSync(join(directory!, f), "utf8")));
    expect(texts.map((t) => t.body)).toEqual([
      "111111 is your Example sign-in code.",
      "222222 is your Example sign-in code.",
    ]);
    expect(texts[0]).toMatchObject({ to: TO, kind: "login_code", date: expect.any(String) });
  });
});

describe("webhook transport", () => {
  it("posts {to, body, kind} as JSON, signed with HMAC-SHA256 of the raw body", async () => {
    const gw = await gateway((_req, _n, res) => res.writeHead(204).end());
    const log = recordingLogger();
    const sms = sender({ kind: "webhook", url: `${gw.url}/sms`, secret: SECRET, delivery: FAST }, log);
    await sms.sendTemplate(TO, "verification_code", { code: "WDJB-MJHT" });
    expect(gw.received).toHaveLength(1);
    const got = gw.received[0]!;
    expect(got.method).toBe("POST");
    expect(got.url).toBe("/sms");
    expect(got.headers["content-type"]).toBe("application/json");
    // What a receiver does: recompute the HMAC over the bytes received and compare.
    expect(got.headers["x-latchkey-signature"]).toBe(signature(got.body));
    expect(got.headers["x-latchkey-signature"]).not.toBe(signature(`${got.body} `));
    expect(JSON.parse(got.body)).toEqual({
      to: TO,
      body: "WDJB-MJHT is your Example verification code.",
      kind: "verification_code",
    });
    expect(log.lines.map((l) => l.msg)).toEqual(["sms sent"]);
    // The code is never logged.
    expect(JSON.stringify(log.lines)).not.toContain("WDJB");
  });

  it("retries a 5xx or a dropped connection with backoff, then delivers", async () => {
    const gw = await gateway((_req, n, res) => {
      if (n === 1) res.writeHead(503).end("busy");
      else if (n === 2) res.socket?.destroy();
      else res.writeHead(200).end();
    });
    const log = recordingLogger();
    const sms = sender({ kind: "webhook", url: gw.url, secret: SECRET, delivery: FAST }, log);
    await sms.sendTemplate(TO, "login_code", { code: "123456" });
    expect(gw.received).toHaveLength(3);
    // Each attempt is signed alike.
    expect(new Set(gw.received.map((r) => r.headers["x-latchkey-signature"])).size).toBe(1);
    expect(log.lines.map((l) => [l.level, l.msg])).toEqual([
      ["warn", "sms attempt failed; retrying"],
      ["warn", "sms attempt failed; retrying"],
      ["info", "sms sent"],
    ]);
    expect(log.lines[0]!.obj).toMatchObject({ attempt: 1, reason: "gateway answered 503: busy", delayMs: 1 });
    expect(log.lines[1]!.obj).toMatchObject({ attempt: 2, delayMs: 2 });
  });

  it("logs a clear error when the gateway keeps failing, and send() still resolves", async () => {
    const gw = await gateway((_req, _n, res) => res.writeHead(502).end("upstream down"));
    const log = recordingLogger();
    const sms = sender({ kind: "webhook", url: gw.url, secret: SECRET, delivery: FAST }, log);
    await expect(sms.sendTemplate(TO, "verification_code", { code: "WDJB-MJHT" })).resolves.toBeUndefined();
    expect(gw.received).toHaveLength(3);
    const failure = log.lines.at(-1)!;
    expect(failure.level).toBe("error");
    expect(failure.msg).toBe("sms send failed");
    expect(failure.obj).toMatchObject({
      transport: "webhook",
      to: TO,
      kind: "verification_code",
      err: { name: "GatewayError", message: "gateway answered 502: upstream down", status: 502, attempts: 3 },
    });
  });

  it("does not retry a refusal (4xx), nor wait past the request timeout", async () => {
    const refusing = await gateway((_req, _n, res) => res.writeHead(401).end('{"error":"bad signature"}'));
    const log = recordingLogger();
    await sender({ kind: "webhook", url: refusing.url, secret: SECRET, delivery: FAST }, log).send({
      to: TO,
      body: "x",
      kind: "verification_code",
    });
    expect(refusing.received).toHaveLength(1);
    expect(log.lines.at(-1)!.obj.err).toMatchObject({
      status: 401,
      message: 'gateway answered 401: {"error":"bad signature"}',
    });

    const silent = await gateway(() => {});
    const log2 = recordingLogger();
    await sender(
      {
        kind: "webhook",
        url: silent.url,
        secret: SECRET,
        delivery: { timeoutMs: 50, retries: 1, retryDelayMs: 1 },
      },
      log2,
    ).send({ to: TO, body: "x", kind: "verification_code" });
    expect(silent.received).toHaveLength(2);
    expect(log2.lines.at(-1)!.obj.err).toMatchObject({ message: "no answer within 50 ms", attempts: 2 });
  });

  it("names the network error when nothing listens", async () => {
    // A port that was free a moment ago: nothing listens there now.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const log = recordingLogger();
    const sms = sender(
      {
        kind: "webhook",
        url: `http://127.0.0.1:${port}/sms`,
        secret: SECRET,
        delivery: { ...FAST, retries: 0 },
      },
      log,
    );
    await sms.send({ to: TO, body: "x", kind: "verification_code" });
    expect(log.lines.at(-1)!.obj.err).toMatchObject({
      message: "request failed: fetch failed (ECONNREFUSED)",
      attempts: 1,
    });
  });
});

describe("twilio transport", () => {
  const SID = "AC0123456789abcdef0123456789abcdef";
  const TOKEN = "twilio-auth-token";

  /** A local stand-in for api.twilio.com that checks requests as Twilio documents them. */
  async function twilio() {
    return gateway((req, n, res) => {
      const form = new URLSearchParams(req.body);
      const problems = [
        req.method === "POST" ? null : "method",
        req.url === `/2010-04-01/Accounts/${SID}/Messages.json` ? null : "path",
        req.headers["content-type"] === "application/x-www-form-urlencoded" ? null : "content-type",
        req.headers.authorization === `Basic ${Buffer.from(`${SID}:${TOKEN}`).toString("base64")}`
          ? null
          : "auth",
        form.get("To")?.startsWith("+") ? null : "To",
        form.get("Body") ? null : "Body",
        form.get("From") || form.get("MessagingServiceSid") ? null : "From",
      ].filter((p) => p !== null);
      res.setHeader("content-type", "application/json");
      if (problems.length > 0) {
        res
          .writeHead(400)
          .end(JSON.stringify({ code: 21604, message: `bad ${problems.join(", ")}`, status: 400 }));
        return;
      }
      if (form.get("To") === "+15005550001") {
        res.writeHead(400).end(
          JSON.stringify({
            code: 21211,
            message: "The 'To' number +15005550001 is not valid.",
            status: 400,
          }),
        );
        return;
      }
      res.writeHead(201).end(JSON.stringify({ sid: `SM${String(n).padStart(32, "0")}`, status: "queued" }));
    });
  }

  it("posts To, From and Body to the Messages resource with basic auth", async () => {
    const api = await twilio();
    const log = recordingLogger();
    const sms = sender(
      {
        kind: "twilio",
        accountSid: SID,
        authToken: TOKEN,
        from: "+15005550006",
        baseUrl: `${api.url}/`,
        delivery: FAST,
      },
      log,
    );
    await sms.sendTemplate(TO, "verification_code", { code: "WDJB-MJHT" });
    expect(api.received).toHaveLength(1);
    expect(Object.fromEntries(new URLSearchParams(api.received[0]!.body))).toEqual({
      To: TO,
      From: "+15005550006",
      Body: "WDJB-MJHT is your Example verification code.",
    });
    expect(log.lines.at(-1)).toMatchObject({
      msg: "sms sent",
      obj: { transport: "twilio", id: `SM${"0".repeat(31)}1` },
    });
  });

  it("sends MessagingServiceSid instead of From when configured, and logs Twilio's error", async () => {
    const api = await twilio();
    const log = recordingLogger();
    const sms = sender(
      {
        kind: "twilio",
        accountSid: SID,
        authToken: TOKEN,
        messagingServiceSid: "MG1",
        baseUrl: api.url,
        delivery: FAST,
      },
      log,
    );
    await sms.send({ to: TO, body: "hello", kind: "login_code" });
    expect(new URLSearchParams(api.received[0]!.body).get("MessagingServiceSid")).toBe("MG1");
    expect(new URLSearchParams(api.received[0]!.body).has("From")).toBe(false);
    await sms.send({ to: "+15005550001", body: "hello", kind: "login_code" });
    expect(api.received).toHaveLength(2);
    expect(log.lines.at(-1)).toMatchObject({
      level: "error",
      msg: "sms send failed",
      obj: { err: { status: 400, message: expect.stringContaining("21211") } },
    });
  });
});

describe.each(dialects)("a failing SMS gateway behind the API (%s)", (dialect) => {
  it.each(clients)("leaves the %s client's signup its normal answer, and logs the failure", async (kind) => {
    const gw = await gateway((_req, _n, res) => res.writeHead(500).end("gateway exploded"));
    const lines: Record<string, unknown>[] = [];
    const destination = new PassThrough();
    destination.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line));
    });
    const server = await startLatchkey(
      dialect,
      {
        account: { loginMethods: ["phone"], signupFields: ["phone*", "password1*"] },
        sms: {
          transport: "webhook",
          webhook: { url: gw.url, secret: SECRET },
          retries: 1,
          retryDelayMs: 1,
          sendTimeoutMs: 20_000,
        },
      },
      { logger: pino({ level: "info" }, destination), ownSms: true },
    );
    const c = server.client(kind);
    await c.get("/config");
    const phone = newPhone();
    const res = await c.post("/auth/signup", { phone, password: PASSWORD });
    expectStatus(res, 401);
    expect(pendingFlow(res)).toBe("verify_phone");
    expect(gw.received).toHaveLength(2);
    const failure = lines.find((l) => l.msg === "sms send failed");
    expect(failure).toMatchObject({
      level: 50,
      transport: "webhook",
      to: phone,
      kind: "verification_code",
      err: { message: "gateway answered 500: gateway exploded", status: 500 },
    });
  });
});
