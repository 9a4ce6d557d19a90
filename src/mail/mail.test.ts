import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";
import { afterEach, describe, expect, it } from "vitest";
import { parseEml, readMailDirectory } from "../../test/helpers/eml.js";
import {
  createMailer,
  DEFAULT_MAIL_OPTIONS,
  type MailLogger,
  type MailOptions,
  type OutgoingMail,
} from "./index.js";
import {
  accountAlreadyExistsMessage,
  emailAddedMessage,
  emailChangedMessage,
  emailConfirmationCodeSignupMessage,
  emailConfirmationMessage,
  emailConfirmationSignupMessage,
  loginCodeMessage,
  mailTemplates,
  passwordChangedMessage,
  passwordResetCodeMessage,
  passwordResetKeyMessage,
  renderMailTemplate,
  unknownAccountMessage,
} from "./templates.js";

interface LogEntry {
  level: "info" | "error";
  obj: Record<string, unknown>;
  msg: string | undefined;
}

function captureLogger(): MailLogger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  return {
    entries,
    info(obj, msg) {
      entries.push({ level: "info", obj: obj as Record<string, unknown>, msg });
    },
    error(obj, msg) {
      entries.push({ level: "error", obj: obj as Record<string, unknown>, msg });
    },
  };
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function options(transport: MailOptions["transport"], overrides: Partial<MailOptions> = {}): MailOptions {
  return { ...DEFAULT_MAIL_OPTIONS, transport, ...overrides };
}

const sampleMail: OutgoingMail = {
  to: "alice@example.com",
  subject: "[Latchkey] Sign-In Code",
  text: "Your code:\n\n    ABCD-EFGH\n",
  html: "<p>Your code: <b>ABCD-EFGH</b></p>",
};

interface CapturedMessage {
  from: string | undefined;
  to: string[];
  raw: string;
  user: string | undefined;
}

async function startSmtpServer(
  extra: Partial<SMTPServerOptions> & { dataDelayMs?: number } = {},
): Promise<{ port: number; messages: CapturedMessage[] }> {
  const messages: CapturedMessage[] = [];
  const { dataDelayMs = 0, ...serverOptions } = extra;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    ...serverOptions,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
          to: session.envelope.rcptTo.map((recipient) => recipient.address),
          raw: Buffer.concat(chunks).toString("utf8"),
          user: typeof session.user === "string" ? session.user : undefined,
        });
        setTimeout(() => callback(), dataDelayMs);
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: address.port, messages };
}

async function unusedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", () => resolve()));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

async function temporaryDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), "latchkey-mail-"));
  cleanups.push(() => rm(directory, { recursive: true, force: true }));
  return directory;
}

describe("file transport", () => {
  it("writes one parseable multipart/alternative .eml per message, named in send order", async () => {
    const directory = join(await temporaryDirectory(), "outbox");
    const logger = captureLogger();
    const mailer = createMailer(options({ kind: "file", directory }, { siteName: "Café" }), logger);
    cleanups.push(() => mailer.close());

    const rendered = renderMailTemplate("email_confirmation_signup", {
      siteName: "Café",
      url: "https://app.example.com/account/verify-email/a-very-long-key-that-will-need-soft-line-breaks-when-encoded-0123456789",
      userDisplay: "alice",
    });
    await Promise.all(
      ["first@example.com", "second@example.com", "third@example.com"].map((to) =>
        mailer.send({ to, ...rendered }),
      ),
    );

    const names = await readdir(directory);
    expect(names.filter((name) => name.endsWith(".eml"))).toHaveLength(3);
    expect(names.some((name) => name.endsWith(".tmp"))).toBe(false);

    const messages = await readMailDirectory(directory);
    expect(messages.map((message) => message.to)).toEqual([
      "first@example.com",
      "second@example.com",
      "third@example.com",
    ]);
    const [first] = messages;
    const raw = await readFile(first!.file, "utf8");
    // RFC 822 line ends.
    expect(raw).toContain("\r\n");
    expect(raw.replace(/\r\n/g, "")).not.toContain("\n");
    expect(first!.headers["content-type"]).toMatch(/^multipart\/alternative;\s*boundary=/);
    expect(first!.from).toBe("Latchkey <no-reply@localhost>");
    expect(first!.subject).toBe("[Café] Please Confirm Your Email Address");
    expect(first!.headers["message-id"]).toMatch(/^<.+@.+>$/);
    expect(first!.headers.date).toBeTruthy();
    expect(first!.text).toBe(rendered.text);
    expect(first!.html).toBe(rendered.html);
    expect(first!.root.parts.map((part) => part.contentType)).toEqual(["text/plain", "text/html"]);

    const sent = logger.entries.filter((entry) => entry.msg === "mail sent");
    expect(sent).toHaveLength(3);
    expect(sent[0]!.obj.transport).toBe("file");
    expect(typeof sent[0]!.obj.file).toBe("string");
    // Bodies carry keys and codes and stay out of the log.
    expect(JSON.stringify(logger.entries)).not.toContain("a-very-long-key");
  });

  it("logs an error and resolves when the directory cannot be written", async () => {
    const blocker = join(await temporaryDirectory(), "not-a-directory");
    await import("node:fs/promises").then((fs) => fs.writeFile(blocker, "x"));
    const logger = captureLogger();
    const mailer = createMailer(options({ kind: "file", directory: join(blocker, "inside") }), logger);
    cleanups.push(() => mailer.close());
    await expect(mailer.send(sampleMail)).resolves.toBeUndefined();
    const failure = logger.entries.find((entry) => entry.level === "error");
    expect(failure?.msg).toBe("mail send failed");
  });
});

describe("console transport", () => {
  it("prints headers and the text body to the configured stream", async () => {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    const logger = captureLogger();
    const mailer = createMailer(options({ kind: "console", stream }), logger);
    cleanups.push(() => mailer.close());

    await mailer.sendTemplate("bob@example.com", "email_confirmation_signup", {
      url: "https://app.example.com/verify/KEY123",
    });

    const output = Buffer.concat(chunks).toString("utf8");
    expect(output).toContain("From: Latchkey <no-reply@localhost>\n");
    expect(output).toContain("To: bob@example.com\n");
    expect(output).toContain("Subject: [Latchkey] Please Confirm Your Email Address\n");
    expect(output).toContain("https://app.example.com/verify/KEY123");
    expect(output).toContain("Hello from Latchkey!");
    expect(output).not.toContain("<html");
    expect(logger.entries.map((entry) => entry.msg)).toEqual(["mail sent"]);
  });

  it("does not let a line break in a header forge extra header lines", async () => {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    const mailer = createMailer(options({ kind: "console", stream }), captureLogger());
    cleanups.push(() => mailer.close());
    await mailer.send({ ...sampleMail, to: "eve@example.com\nSubject: forged" });
    const output = Buffer.concat(chunks).toString("utf8");
    expect(output).not.toMatch(/^Subject: forged/m);
  });
});

describe("smtp transport", () => {
  it("delivers to a local SMTP server", async () => {
    const server = await startSmtpServer();
    const logger = captureLogger();
    const mailer = createMailer(
      options({ kind: "smtp", host: "127.0.0.1", port: server.port }, { from: "Site <site@example.com>" }),
      logger,
    );
    cleanups.push(() => mailer.close());

    await mailer.send(sampleMail);

    expect(server.messages).toHaveLength(1);
    const [message] = server.messages;
    expect(message!.from).toBe("site@example.com");
    expect(message!.to).toEqual(["alice@example.com"]);
    const parsed = parseEml(message!.raw);
    expect(parsed.subject).toBe(sampleMail.subject);
    expect(parsed.to).toBe("alice@example.com");
    expect(parsed.headers["auto-submitted"]).toBe("auto-generated");
    expect(parsed.text).toBe(sampleMail.text);
    expect(parsed.html).toBe(sampleMail.html);
    const sent = logger.entries.find((entry) => entry.msg === "mail sent");
    expect(sent?.obj).toMatchObject({ transport: "smtp", to: "alice@example.com" });
    expect(sent?.obj.messageId).toBe(parsed.headers["message-id"]);
  });

  it("authenticates when a user is configured", async () => {
    const server = await startSmtpServer({
      authOptional: false,
      allowInsecureAuth: true,
      onAuth(auth, _session, callback) {
        if (auth.username === "mailer" && auth.password === "s3cret") callback(null, { user: auth.username });
        else callback(new Error("Invalid credentials"));
      },
    });
    const logger = captureLogger();
    const mailer = createMailer(
      options({ kind: "smtp", host: "127.0.0.1", port: server.port, user: "mailer", password: "s3cret" }),
      logger,
    );
    cleanups.push(() => mailer.close());
    await mailer.send(sampleMail);
    expect(server.messages.map((message) => message.user)).toEqual(["mailer"]);
    expect(logger.entries.filter((entry) => entry.level === "error")).toEqual([]);
  });

  it("resolves after sendTimeoutMs when the server is slow, and logs the outcome later", async () => {
    const server = await startSmtpServer({ dataDelayMs: 1200 });
    const logger = captureLogger();
    const mailer = createMailer(
      options({ kind: "smtp", host: "127.0.0.1", port: server.port }, { sendTimeoutMs: 300 }),
      logger,
    );
    cleanups.push(() => mailer.close());

    const started = performance.now();
    await mailer.send(sampleMail);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(1000);
    expect(logger.entries.map((entry) => entry.msg)).toEqual([
      "mail send still running after timeout; continuing in the background",
    ]);

    const sent = await waitFor(() => logger.entries.find((entry) => entry.msg === "mail sent"));
    expect(sent.obj.to).toBe("alice@example.com");
    expect(performance.now() - started).toBeGreaterThanOrEqual(1100);
    expect(server.messages).toHaveLength(1);
  });

  it("logs an error and resolves when the server is unreachable", async () => {
    const port = await unusedPort();
    const logger = captureLogger();
    const mailer = createMailer(options({ kind: "smtp", host: "127.0.0.1", port }), logger);
    cleanups.push(() => mailer.close());

    await expect(mailer.send(sampleMail)).resolves.toBeUndefined();
    const failure = await waitFor(() => logger.entries.find((entry) => entry.level === "error"));
    expect(failure.msg).toBe("mail send failed");
    expect(failure.obj).toMatchObject({ transport: "smtp", to: "alice@example.com" });
    expect(JSON.stringify(failure.obj.err)).toMatch(/ECONNREFUSED|ESOCKET|ECONNECTION/);
  });

  it("close() aborts sends that outlive the grace period", async () => {
    const server = await startSmtpServer({ dataDelayMs: 5000 });
    const logger = captureLogger();
    const mailer = createMailer(
      options({ kind: "smtp", host: "127.0.0.1", port: server.port }, { sendTimeoutMs: 200 }),
      logger,
    );
    await mailer.send(sampleMail);
    const started = performance.now();
    await mailer.close();
    expect(performance.now() - started).toBeLessThan(2000);
    expect(logger.entries.map((entry) => entry.msg)).toContain(
      "mailer closed with sends in flight; aborting them",
    );
    expect(logger.entries.some((entry) => entry.msg === "mail send failed")).toBe(true);

    await mailer.send(sampleMail);
    expect(logger.entries.at(-1)?.msg).toBe("mail send after close");
  });
});

describe("createMailer", () => {
  it("rejects an unusable configuration up front", () => {
    const logger = captureLogger();
    expect(() => createMailer(options({ kind: "console" }, { sendTimeoutMs: 0 }), logger)).toThrow(
      RangeError,
    );
    expect(() => createMailer(options({ kind: "file", directory: "" }), logger)).toThrow(RangeError);
    expect(() => createMailer(options({ kind: "smtp", host: "127.0.0.1", port: 0 }), logger)).toThrow(
      RangeError,
    );
  });

  it("survives a logger that throws", async () => {
    const stream = new PassThrough();
    stream.resume();
    const mailer = createMailer(options({ kind: "console", stream }), {
      info() {
        throw new Error("logger down");
      },
      error() {
        throw new Error("logger down");
      },
    });
    cleanups.push(() => mailer.close());
    await expect(mailer.send(sampleMail)).resolves.toBeUndefined();
  });
});

describe("templates", () => {
  it("escape HTML in every interpolated value", () => {
    const hostile = '<script>alert("x")</script>@example.com';
    const rendered = unknownAccountMessage({
      siteName: "Acme & <Co>",
      email: hostile,
      signupUrl: "https://example.com/signup?a=1&b=<2>",
    });
    expect(rendered.html).not.toContain("<script>");
    expect(rendered.html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;@example.com");
    expect(rendered.html).toContain("Acme &amp; &lt;Co&gt;");
    expect(rendered.html).toContain('href="https://example.com/signup?a=1&amp;b=&lt;2&gt;"');
    // The text body is not HTML and keeps the value as given.
    expect(rendered.text).toContain(hostile);
    expect(rendered.subject).toBe("[Acme & <Co>] Password Reset Email");

    for (const html of [
      accountAlreadyExistsMessage({ siteName: "S", email: hostile }).html,
      emailAddedMessage({ siteName: "S", email: hostile, userAgent: "<b>ua</b>" }).html,
      emailChangedMessage({ siteName: "S", from: hostile, to: "new@example.com" }).html,
      loginCodeMessage({ siteName: "S", code: "<i>CODE</i>" }).html,
      passwordResetKeyMessage({ siteName: "S", url: "https://x/", username: "<u>" }).html,
    ]) {
      expect(html).not.toMatch(/<(script|b|i|u)>/);
    }
  });

  it("never makes a non-web URL clickable", () => {
    const rendered = emailConfirmationMessage({ siteName: "S", url: "javascript:alert(1)" });
    expect(rendered.html).not.toContain('href="javascript:');
    expect(rendered.text).toContain("javascript:alert(1)");
  });

  it("prefix subjects with the site name, as allauth does", () => {
    expect(passwordResetCodeMessage({ siteName: "Latchkey", code: "X" }).subject).toBe(
      "[Latchkey] Password Reset Code",
    );
    expect(loginCodeMessage({ siteName: "Latchkey", code: "X" }).subject).toBe("[Latchkey] Sign-In Code");
    expect(passwordChangedMessage({ siteName: "Latchkey" }).subject).toBe("[Latchkey] Password Changed");
    expect(renderMailTemplate("account_already_exists", { siteName: "A\nB", email: "x@y" }).subject).toBe(
      "[A B] Account Already Exists",
    );
  });

  it("make codes stand out in both bodies", () => {
    const rendered = loginCodeMessage({ siteName: "Latchkey", code: "WDJB-MJHT" });
    expect(rendered.text).toMatch(/\n\n {4}WDJB-MJHT\n\n/);
    expect(rendered.html).toMatch(/<div style="[^"]*font-size:28px[^"]*">WDJB-MJHT<\/div>/);
    const verification = emailConfirmationCodeSignupMessage({ siteName: "Latchkey", code: "123-456-789" });
    expect(verification.text).toContain("Your email verification code is listed below.");
    expect(verification.text).toMatch(/\n {4}123-456-789\n/);
  });

  it("use a different intro at signup than for an added address", () => {
    const signup = emailConfirmationSignupMessage({
      siteName: "Latchkey",
      url: "https://x/k",
      userDisplay: "al",
    });
    const later = emailConfirmationMessage({ siteName: "Latchkey", url: "https://x/k", userDisplay: "al" });
    expect(signup.text).toContain("user al has given your email address to register an account on Latchkey.");
    expect(later.text).toContain("to connect it to their account on Latchkey.");
    expect(signup.text).not.toBe(later.text);
  });

  it("mention the username and optional links only when given", () => {
    expect(passwordResetKeyMessage({ siteName: "S", url: "https://x/r" }).text).not.toContain("username");
    expect(passwordResetKeyMessage({ siteName: "S", url: "https://x/r", username: "al" }).text).toContain(
      "In case you forgot, your username is al.",
    );
    expect(unknownAccountMessage({ siteName: "S", email: "a@b" }).text).not.toContain(
      "sign up for an account",
    );
    const exists = accountAlreadyExistsMessage({
      siteName: "S",
      email: "a@b",
      passwordResetUrl: "https://x/reset",
      loginUrl: "https://x/login",
    });
    expect(exists.text).toContain("https://x/reset");
    expect(exists.text).toContain("https://x/login");
  });

  it("show where a security change came from when known", () => {
    const withOrigin = passwordChangedMessage({
      siteName: "S",
      ip: "203.0.113.7",
      userAgent: "Firefox",
      timestamp: new Date("2024-05-01T12:34:56.789Z"),
    });
    expect(withOrigin.text).toContain("Your password has been changed.");
    expect(withOrigin.text).toContain(
      "- IP address: 203.0.113.7\n- Browser: Firefox\n- Date: 2024-05-01 12:34:56 UTC",
    );
    const bare = passwordChangedMessage({ siteName: "S" });
    expect(bare.text).not.toContain("IP address");
    expect(emailChangedMessage({ siteName: "S", from: "a@x", to: "b@x" }).text).toContain(
      "Your email has been changed from a@x to b@x.",
    );
  });

  it("are all reachable through the typed map", () => {
    for (const name of Object.keys(mailTemplates) as Array<keyof typeof mailTemplates>) {
      const rendered = renderMailTemplate(name, {
        siteName: "S",
        url: "https://x/",
        code: "C",
        email: "e@x",
      } as never);
      expect(rendered.subject.startsWith("[S] ")).toBe(true);
      expect(rendered.text.startsWith("Hello from S!\n\n")).toBe(true);
      expect(rendered.html).toContain("<!DOCTYPE html>");
    }
  });
});
