import { createHmac } from "node:crypto";
import { createDispatcher, type DispatchLogger } from "../core/dispatch.js";
import { outboxFolder } from "../core/outbox-folder.js";
import { DEFAULT_HTTP_DELIVERY, type GatewayRequest, type HttpDelivery, postToGateway } from "./gateway.js";
import { renderSmsTemplate, type SmsTemplateName, type SmsTemplateParams } from "./templates.js";

export type { HttpDelivery } from "./gateway.js";
export {
  renderSmsTemplate,
  type SmsTemplateName,
  type SmsTemplateParams,
  smsTemplateNames,
} from "./templates.js";

/** One text: where it goes, what it says, and which template it is (e.g. "verification_code"). */
export interface SmsMessage {
  /** E.164 ("+31612345678"). */
  to: string;
  body: string;
  kind: string;
}

/** Delivers one text; a rejection is logged as a failed send. */
export type SendSms = (message: SmsMessage) => Promise<void>;

/** The header of webhook posts that carries the HMAC-SHA256 of the raw body ("sha256=<hex>"). */
const WEBHOOK_SIGNATURE_HEADER = "X-Latchkey-Signature";

export type SmsTransportOptions =
  /** Prints each text to `stream`, stdout by default. */
  | { kind: "console"; stream?: NodeJS.WritableStream }
  /** Writes one JSON file (`{to, body, kind, date}`) per text; lexical order of the names is send order. */
  | { kind: "file"; directory: string }
  /**
   * POSTs `{to, body, kind}` as JSON to `url`, signed: the X-Latchkey-Signature header is
   * "sha256=" followed by the hex HMAC-SHA256 of the raw body under `secret`.
   */
  | { kind: "webhook"; url: string; secret: string; delivery?: HttpDelivery }
  /**
   * Twilio's Messages API: POST {baseUrl}/2010-04-01/Accounts/{accountSid}/Messages.json, form
   * fields To, Body and From (or MessagingServiceSid), HTTP basic auth with the account SID and
   * auth token.
   */
  | {
      kind: "twilio";
      accountSid: string;
      authToken: string;
      from?: string;
      messagingServiceSid?: string;
      baseUrl?: string;
      delivery?: HttpDelivery;
    }
  /** Hands each text to a function of yours (your own SMS service, or an outbox in tests). */
  | { kind: "function"; send: SendSms };

export interface SmsOptions {
  transport: SmsTransportOptions;
  /** Named in every text. */
  siteName: string;
  /** The longest a response waits on a send; slower sends finish in the background. */
  sendTimeoutMs: number;
}

export interface SmsSender {
  /**
   * Never throws: a failed or timed-out send is logged, not surfaced to the HTTP response.
   * Resolves after delivery or after sendTimeoutMs, whichever comes first (a slow send continues
   * in the background and its failure is still logged).
   */
  send(message: SmsMessage): Promise<void>;
  /** Renders a template with the site name and sends it; same guarantees as send(). */
  sendTemplate<N extends SmsTemplateName>(to: string, name: N, params: SmsTemplateParams[N]): Promise<void>;
  /** Waits up to sendTimeoutMs for sends still in flight, aborts the rest. */
  close(): Promise<void>;
}

/** pino-compatible subset. */
export type SmsLogger = DispatchLogger;

interface Receipt {
  /** The gateway's id of the message, when it gives one. */
  id?: string;
  file?: string;
}

interface Transport {
  readonly kind: SmsTransportOptions["kind"];
  /** Must start its work synchronously (the file transport names the file before its first await). */
  deliver(message: SmsMessage, signal: AbortSignal, log: Required<SmsLogger>): Promise<Receipt>;
}

const CONSOLE_RULE = "-".repeat(72);

function singleLine(value: string): string {
  return value.replace(/[\r\n]+/g, " ");
}

function consoleTransport(stream: NodeJS.WritableStream): Transport {
  return {
    kind: "console",
    deliver(message) {
      const output =
        `${CONSOLE_RULE}\n` +
        `SMS to ${singleLine(message.to)} (${singleLine(message.kind)}), ${new Date().toUTCString()}\n\n` +
        `${message.body.replace(/\n*$/, "\n")}` +
        `${CONSOLE_RULE}\n`;
      return new Promise((resolve, reject) => {
        stream.write(output, (error) => (error ? reject(error) : resolve({})));
      });
    },
  };
}

function fileTransport(directory: string): Transport {
  const outbox = outboxFolder(directory, "json");
  return {
    kind: "file",
    async deliver(message) {
      const write = outbox.reserve();
      const json = `${JSON.stringify({ ...message, date: new Date().toISOString() }, null, 2)}\n`;
      return { file: await write(json) };
    },
  };
}

function retryLogger(log: Required<SmsLogger>, transport: string, message: SmsMessage) {
  return (failure: { attempt: number; reason: string; delayMs: number }) =>
    log.warn({ transport, to: message.to, kind: message.kind, ...failure }, "sms attempt failed; retrying");
}

function webhookTransport(options: Extract<SmsTransportOptions, { kind: "webhook" }>): Transport {
  const delivery = options.delivery ?? DEFAULT_HTTP_DELIVERY;
  return {
    kind: "webhook",
    async deliver(message, signal, log) {
      const body = JSON.stringify({ to: message.to, body: message.body, kind: message.kind });
      const signature = createHmac("sha256", options.secret).update(body).digest("hex");
      const build = (): GatewayRequest => ({
        url: options.url,
        headers: {
          "content-type": "application/json",
          "user-agent": "latchkey",
          [WEBHOOK_SIGNATURE_HEADER.toLowerCase()]: `sha256=${signature}`,
        },
        body,
      });
      await postToGateway(build, delivery, signal, retryLogger(log, "webhook", message));
      return {};
    },
  };
}

function twilioTransport(options: Extract<SmsTransportOptions, { kind: "twilio" }>): Transport {
  const delivery = options.delivery ?? DEFAULT_HTTP_DELIVERY;
  const base = (options.baseUrl ?? "https://api.twilio.com").replace(/\/+$/, "");
  const url = `${base}/2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}/Messages.json`;
  const authorization = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString("base64")}`;
  return {
    kind: "twilio",
    async deliver(message, signal, log) {
      const form = new URLSearchParams({ To: message.to, Body: message.body });
      if (options.messagingServiceSid) form.set("MessagingServiceSid", options.messagingServiceSid);
      else form.set("From", options.from ?? "");
      const build = (): GatewayRequest => ({
        url,
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          accept: "application/json",
          authorization,
          "user-agent": "latchkey",
        },
        body: form.toString(),
      });
      const response = await postToGateway(build, delivery, signal, retryLogger(log, "twilio", message));
      // Twilio answers 201 with the message resource; its sid identifies the text in Twilio's logs.
      const created = (await response.json().catch(() => null)) as { sid?: unknown } | null;
      return typeof created?.sid === "string" ? { id: created.sid } : {};
    },
  };
}

function functionTransport(send: SendSms): Transport {
  return {
    kind: "function",
    async deliver(message) {
      await send(message);
      return {};
    },
  };
}

function createTransport(options: SmsTransportOptions): Transport {
  switch (options.kind) {
    case "function":
      return functionTransport(options.send);
    case "console":
      return consoleTransport(options.stream ?? process.stdout);
    case "file":
      if (!options.directory) throw new RangeError("sms: the file transport needs a directory");
      return fileTransport(options.directory);
    case "webhook":
      if (!options.url) throw new RangeError("sms: the webhook transport needs a url");
      if (!options.secret) throw new RangeError("sms: the webhook transport needs a secret");
      return webhookTransport(options);
    case "twilio":
      if (!options.accountSid || !options.authToken)
        throw new RangeError("sms: the twilio transport needs an account SID and an auth token");
      if (!options.from && !options.messagingServiceSid)
        throw new RangeError("sms: the twilio transport needs a sender (from) or a messaging service SID");
      return twilioTransport(options);
  }
}

/** Creates the sender. Throws only for an unusable configuration; sends never throw. */
export function createSmsSender(options: SmsOptions, logger: SmsLogger): SmsSender {
  const transport = createTransport(options.transport);
  const dispatcher = createDispatcher<SmsMessage>(
    {
      noun: "sms",
      name: "sms sender",
      transport: transport.kind,
      timeoutMs: options.sendTimeoutMs,
      deliver: (message, signal, log) => transport.deliver(message, signal, log),
      // Numbers and kinds are logged; bodies are not: they carry codes.
      describe: (message) => ({ to: message.to, kind: message.kind }),
    },
    logger,
  );
  return {
    send: dispatcher.send,
    sendTemplate(to, name, params) {
      return dispatcher.send({ to, body: renderSmsTemplate(name, options.siteName, params), kind: name });
    },
    close: dispatcher.close,
  };
}
