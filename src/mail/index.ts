import { createDispatcher, type DispatchLogger, errorDetails, quietLogger } from "../core/dispatch.js";
import { outboxFolder } from "../core/outbox-folder.js";
import { importOptional } from "../core/peer.js";
import { type MailTemplateName, type MailTemplateParams, renderMailTemplate } from "./templates.js";

export type {
  MailTemplateName,
  MailTemplateParams,
  RenderedMail,
} from "./templates.js";
export { mailTemplates, notificationTemplateNames, renderMailTemplate } from "./templates.js";

export type MailTransportOptions =
  /** Prints each message (headers and text body) to `stream`, stdout by default. */
  | { kind: "console"; stream?: NodeJS.WritableStream }
  /** Writes one RFC 822 .eml file per message; lexical order of the names is send order. */
  | { kind: "file"; directory: string }
  | {
      kind: "smtp";
      host: string;
      port: number;
      secure?: boolean;
      user?: string;
      password?: string;
      ignoreTLS?: boolean;
      requireTLS?: boolean;
    }
  /** Hands each message to a function of yours (your own mail service, or an outbox in tests). */
  | { kind: "function"; send: SendMail };

/** A message as handed to a `function` transport: rendered, with its From. */
export interface MailMessage extends OutgoingMail {
  from: string;
}

/** Delivers one message; a rejection is logged as a failed send. */
export type SendMail = (message: MailMessage) => Promise<void>;

export interface MailOptions {
  transport: MailTransportOptions;
  from: string;
  /** Used in subjects: allauth prefixes them with "[Site] ". */
  siteName: string;
  /** The longest a response waits on a send; slower sends finish in the background. */
  sendTimeoutMs: number;
}

export const DEFAULT_MAIL_OPTIONS: Readonly<MailOptions> = Object.freeze({
  transport: Object.freeze({ kind: "console" as const }),
  from: "Latchkey <no-reply@localhost>",
  siteName: "Latchkey",
  sendTimeoutMs: 5000,
});

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  /**
   * Never throws: a failed or timed-out send is logged via the logger, not surfaced to the
   * HTTP response. Resolves after delivery or after sendTimeoutMs, whichever comes first (a
   * slow send continues in the background and its failure is still logged).
   */
  send(mail: OutgoingMail): Promise<void>;
  /** Renders a template with the mailer's site name and sends it; same guarantees as send(). */
  sendTemplate<N extends MailTemplateName>(
    to: string,
    name: N,
    params: Omit<MailTemplateParams<N>, "siteName">,
  ): Promise<void>;
  /**
   * Loads what the transport needs (nodemailer, for the file and smtp transports): Latchkey calls
   * it while starting, so that a missing package is reported then rather than at the first mail.
   */
  open(): Promise<void>;
  /** Waits up to sendTimeoutMs for sends still in flight, aborts the rest, then releases the transport. */
  close(): Promise<void>;
}

/** pino-compatible subset. */
export type MailLogger = DispatchLogger;

type Envelope = MailMessage;

interface DeliveryReceipt {
  messageId?: string;
  file?: string;
}

interface Transport {
  readonly kind: MailTransportOptions["kind"];
  /** Loads what the transport needs; deliver() does too, when it was not called. */
  open(): Promise<void>;
  /** Must start its work synchronously (the file transport names the file before its first await). */
  deliver(mail: Envelope, signal: AbortSignal): Promise<DeliveryReceipt>;
  close(): Promise<void>;
}

type Nodemailer = typeof import("nodemailer").default;
type NodemailerTransport = ReturnType<Nodemailer["createTransport"]>;

/**
 * A nodemailer transport made on first use: nodemailer is an optional peer dependency, loaded
 * once (a failed load is tried again next time). `current` is the transport once made.
 */
function nodemailerTransport(make: (nodemailer: Nodemailer) => NodemailerTransport): {
  get(): Promise<NodemailerTransport>;
  current(): NodemailerTransport | undefined;
} {
  let made: NodemailerTransport | undefined;
  let making: Promise<NodemailerTransport> | undefined;
  return {
    get() {
      making ??= importOptional("nodemailer", () => import("nodemailer")).then(
        (module) => {
          made = make(module.default);
          return made;
        },
        (err: unknown) => {
          making = undefined;
          throw err;
        },
      );
      return making;
    },
    current: () => made,
  };
}

// Header values come from callers (addresses, subjects); a line break in one must not let
// it forge further header lines in the console output.
function singleLine(value: string): string {
  return value.replace(/[\r\n]+/g, " ");
}

const CONSOLE_RULE = "-".repeat(72);

function consoleTransport(stream: NodeJS.WritableStream): Transport {
  return {
    kind: "console",
    async open() {},
    deliver(mail) {
      const output =
        `${CONSOLE_RULE}\n` +
        `Date: ${new Date().toUTCString()}\n` +
        `From: ${singleLine(mail.from)}\n` +
        `To: ${singleLine(mail.to)}\n` +
        `Subject: ${singleLine(mail.subject)}\n` +
        "Content-Type: text/plain; charset=utf-8\n\n" +
        `${mail.text.replace(/\r\n/g, "\n").replace(/\n*$/, "\n")}` +
        `${CONSOLE_RULE}\n`;
      return new Promise((resolve, reject) => {
        stream.write(output, (error) => (error ? reject(error) : resolve({})));
      });
    },
    async close() {},
  };
}

function composeOptions(mail: Envelope) {
  return {
    from: mail.from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    // RFC 3834: marks the message as automatic so well-behaved systems do not auto-reply.
    headers: { "Auto-Submitted": "auto-generated" },
  };
}

function fileTransport(directory: string): Transport {
  const outbox = outboxFolder(directory, "eml");
  // Builds the RFC 822 bytes (CRLF line ends, as .eml readers expect) without sending anything.
  const composer = nodemailerTransport((nodemailer) =>
    nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "windows" }),
  );
  return {
    kind: "file",
    async open() {
      await composer.get();
    },
    async deliver(mail) {
      const write = outbox.reserve();
      const info = await (await composer.get()).sendMail(composeOptions(mail));
      const bytes = info.message;
      if (!Buffer.isBuffer(bytes)) throw new Error("stream transport did not return a buffer");
      const final = await write(bytes);
      return { messageId: info.messageId, file: final };
    },
    async close() {
      composer.current()?.close();
    },
  };
}

function smtpTransport(
  options: Extract<MailTransportOptions, { kind: "smtp" }>,
  timeoutMs: number,
): Transport {
  const transporter = nodemailerTransport((nodemailer) =>
    nodemailer.createTransport({
      host: options.host,
      port: options.port,
      secure: options.secure ?? false,
      ignoreTLS: options.ignoreTLS ?? false,
      requireTLS: options.requireTLS ?? false,
      ...(options.user !== undefined ? { auth: { user: options.user, pass: options.password ?? "" } } : {}),
      // Background sends must end eventually; these bound a hung server well beyond the
      // response timeout without holding connections for nodemailer's default ten minutes.
      connectionTimeout: Math.max(10_000, timeoutMs * 2),
      greetingTimeout: Math.max(10_000, timeoutMs * 2),
      socketTimeout: Math.max(60_000, timeoutMs * 6),
    }),
  );
  return {
    kind: "smtp",
    async open() {
      await transporter.get();
    },
    async deliver(mail, signal) {
      const info = await (await transporter.get()).sendMail({ ...composeOptions(mail), signal });
      return { messageId: info.messageId };
    },
    async close() {
      transporter.current()?.close();
    },
  };
}

function functionTransport(send: SendMail): Transport {
  return {
    kind: "function",
    async open() {},
    async deliver(mail) {
      await send(mail);
      return {};
    },
    async close() {},
  };
}

function createTransport(options: MailTransportOptions, timeoutMs: number): Transport {
  switch (options.kind) {
    case "function":
      return functionTransport(options.send);
    case "console":
      return consoleTransport(options.stream ?? process.stdout);
    case "file":
      if (!options.directory) throw new RangeError("mail: the file transport needs a directory");
      return fileTransport(options.directory);
    case "smtp":
      if (!options.host) throw new RangeError("mail: the smtp transport needs a host");
      if (!Number.isInteger(options.port) || options.port <= 0 || options.port > 65_535)
        throw new RangeError(`mail: invalid smtp port ${String(options.port)}`);
      return smtpTransport(options, timeoutMs);
  }
}

/** Creates the mailer. Throws only for an unusable configuration; sends never throw. */
export function createMailer(options: MailOptions, logger: MailLogger): Mailer {
  const transport = createTransport(options.transport, options.sendTimeoutMs);
  const dispatcher = createDispatcher<OutgoingMail>(
    {
      noun: "mail",
      name: "mailer",
      transport: transport.kind,
      timeoutMs: options.sendTimeoutMs,
      deliver: (mail, signal) => transport.deliver({ ...mail, from: options.from }, signal),
      // Addresses and subjects are logged; bodies are not: they carry keys and codes.
      describe: (mail) => ({ to: mail.to, subject: mail.subject }),
    },
    logger,
  );
  const log = quietLogger(logger);
  let closed = false;
  return {
    send: dispatcher.send,
    open: () => transport.open(),
    sendTemplate(to, name, params) {
      let rendered: ReturnType<typeof renderMailTemplate>;
      try {
        rendered = renderMailTemplate(name, { ...params, siteName: options.siteName } as MailTemplateParams<
          typeof name
        >);
      } catch (error) {
        log.error(
          { transport: transport.kind, to, template: name, err: errorDetails(error) },
          "mail render failed",
        );
        return Promise.resolve();
      }
      return dispatcher.send({ to, ...rendered });
    },
    async close() {
      if (closed) return;
      closed = true;
      await dispatcher.close();
      await transport.close();
    },
  };
}
