import { domainToASCII } from "node:url";
import nodemailer from "nodemailer";
import addressparser from "nodemailer/lib/addressparser";
import { afterAll, describe, expect, it } from "vitest";
import { isValidEmail } from "./email.js";

/** What Django's EmailValidator accepts and Latchkey keeps accepting. */
const ACCEPTED = [
  "user@example.org",
  "User.Name@Example.ORG",
  "o'brien+tag@sub.example.co.uk",
  "a!#$%&'*+/=?^_`{|}~-z@example.org",
  "first.middle.last@example.org",
  "x@example.museum",
  "user@localhost",
  "user@[192.0.2.1]",
  "user@[2001:db8::1]",
  "user@123.123.123.123",
  "user@exämple.org",
  "user@bücher.de",
  "user@xn--bcher-kva.de",
  // Mapped by IDNA to example.org, which is where it is checked and where it is mailed.
  "user@exa\u00admple.org",
];

/** Addresses the mail library would not deliver as stored (or would print raw), all refused. */
const REFUSED = [
  // Quoted local parts: nodemailer rewrites specials inside them, and a quoted dot-atom is
  // the same mailbox as the bare one under another spelling.
  '"<x@evil.example>"@example.com',
  '"x@evil.example"@example.com',
  '"a,b"@example.com',
  '"a;b"@example.com',
  '"a:b"@example.com',
  '"a(b)"@example.com',
  '"a\\"b"@example.com',
  '"a b"@example.com',
  '"user"@example.com',
  '""@example.com',
  // Control characters: C0, DEL and C1, in a quoted local part, a local part or a domain.
  '"a\u0007b"@example.com',
  '"a\u001b[31mb"@example.com',
  '"a\u007fb"@example.com',
  "a\u0007b@example.com",
  "a\u001bb@example.com",
  "user@exa\u0007mple.com",
  "user@exä\u0085mple.com",
  "user@exä\u009b31mmple.com",
  "user@exä\u007fmple.com",
  // Whitespace the address parser splits at, though IDNA ignores U+FEFF.
  "user@evil.example\ufeff.example.com",
  "user\ufeff@example.com",
  "user@exä\u00a0mple.com",
  "user@exä\u3000mple.com",
  "user@exä\u2028mple.com",
  // URL syntax that domainToASCII decodes or cuts at.
  "user@ex%41mple.com",
  "user@evil.example/x.example.com",
  "user@evil.example?.example.com",
  "user@evil.example#.example.com",
  "user@evil.example\\.example.com",
  "user@exä%2cmple.com",
  "user@exä,mple.com",
];

/** Builds messages as the file and SMTP transports do, keeping them in memory. */
const composer = nodemailer.createTransport({ streamTransport: true, buffer: true });
afterAll(() => composer.close());

/** Where nodemailer sends a message addressed to `to` (its SMTP envelope). */
async function envelopeRecipients(to: string): Promise<string[]> {
  const info = await composer.sendMail({ from: "no-reply@localhost", to, subject: "s", text: "t" });
  return info.envelope.to;
}

/** The mailbox the stored address names: its domain in the punycode form DNS and SMTP use. */
function mailbox(stored: string): string {
  const at = stored.lastIndexOf("@");
  const domain = stored.slice(at + 1);
  return `${stored.slice(0, at)}@${domain.startsWith("[") ? domain : domainToASCII(domain)}`;
}

describe("isValidEmail", () => {
  it.each(ACCEPTED)("accepts %j", (address) => {
    expect(isValidEmail(address)).toBe(true);
  });

  it.each(REFUSED)("refuses %j", (address) => {
    expect(isValidEmail(address)).toBe(false);
  });

  it("keeps Django's refusals", () => {
    for (const address of [
      "plain",
      "a@example",
      "a@b.c",
      "a..b@example.org",
      ".a@example.org",
      "a@-example.org",
      "a@example.org.",
      "jürgen@example.org",
      "a@[999.1.1.1]",
      "a@b@example.org",
      `${"a".repeat(310)}@example.org`,
    ]) {
      expect(isValidEmail(address), address).toBe(false);
    }
  });
});

describe("accepted addresses reach the mailbox they name", () => {
  // Stored lowercased, as the email field does, and mailed in that form.
  const candidates = [...ACCEPTED, ...REFUSED].map((address) => address.toLowerCase());

  it("reads back from nodemailer's address parser as one address, unchanged", () => {
    for (const stored of candidates.filter(isValidEmail)) {
      expect(addressparser(stored), stored).toEqual([{ address: stored, name: "" }]);
    }
  });

  it("is the one envelope recipient, at the domain the address was checked at", async () => {
    for (const stored of candidates.filter(isValidEmail)) {
      expect(await envelopeRecipients(stored), stored).toEqual([mailbox(stored)]);
    }
  });

  it("would not for the refused ones, which is why they are refused", async () => {
    const rewritten = {
      '"<x@evil.example>"@example.com': ['" x@evil.example "@example.com'],
      "user@evil.example\ufeff.example.com": ["user@evil.example"],
      '"a\u0007b"@example.com': ["ab@example.com"],
    };
    for (const [stored, recipients] of Object.entries(rewritten)) {
      expect(await envelopeRecipients(stored), stored).toEqual(recipients);
    }
  });
});
