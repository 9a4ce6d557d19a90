import { describe, expect, it } from "vitest";
import { resolveOptions } from "../../src/latchkey.js";
import { OptionsError } from "../../src/options/resolve.js";
import type { LatchkeyOptions } from "../../src/options/schema.js";
import { useLatchkey } from "../helpers/latchkey.js";
import { storelessDialects } from "../helpers/stores.js";

/** The phone and SMS options: allauth's defaults, and the checks that name what is wrong at start. */

function refusal(input: LatchkeyOptions): OptionsError {
  try {
    resolveOptions(input);
  } catch (err) {
    if (err instanceof OptionsError) return err;
    throw err;
  }
  throw new Error("expected an OptionsError");
}

const PHONE: LatchkeyOptions["account"] = { loginMethods: ["phone"], signupFields: ["phone*", "password1*"] };

describe("phone and SMS options", () => {
  it("default to allauth's ACCOUNT_PHONE_VERIFICATION_* and the console transport", () => {
    const o = resolveOptions({ account: PHONE });
    expect(o.account.phoneVerification).toEqual({
      enabled: true,
      maxAttempts: 3,
      timeout: 900,
      supportsChange: 0,
      supportsResend: 0,
      codeFormat: null,
    });
    expect(o.account.phoneDefaultRegion).toBeNull();
    expect(o.account.phoneUnknownAccounts).toBe(true);
    expect(o.sms.transport).toBe("console");
    expect(
      resolveOptions({ account: { phoneVerification: { supportsChange: true } } }).account.phoneVerification
        .supportsChange,
    ).toBe(2);
  });

  // The phone login, webhook and Twilio refusals the core's combination checks also cover are
  // tested with them (test/options/options.test.ts); these are the phone area's own.
  const refused: [string, LatchkeyOptions, string][] = [
    [
      "an unknown default region",
      { account: { ...PHONE, phoneDefaultRegion: "XX" } },
      "account.phoneDefaultRegion",
    ],
    [
      "a webhook over plain http to another host",
      {
        sms: {
          transport: "webhook",
          webhook: { url: "http://sms.example.com/hook", secret: "s".repeat(16) },
        },
      },
      "sms.webhook.url",
    ],
  ];
  it.each(refused)("refuse %s, naming the option", (_, input, path) => {
    const err = refusal(input);
    expect(err.path).toBe(path);
    expect(err.message).toContain(path);
  });

  it("accept a phone field, and the transports' valid settings", () => {
    const valid: LatchkeyOptions[] = [
      { account: { signupFields: ["email", "username*", "password1*", "phone"] } },
      { account: { ...PHONE, phoneDefaultRegion: "NL" } },
      {
        sms: { transport: "webhook", webhook: { url: "http://localhost:9000/sms", secret: "s".repeat(16) } },
      },
      {
        sms: {
          transport: "twilio",
          twilio: {
            accountSid: "AC1",
            authToken: "t",
            messagingServiceSid: "MG1",
            baseUrl: "http://127.0.0.1:9",
          },
        },
      },
    ];
    for (const input of valid) expect(() => resolveOptions(input)).not.toThrow();
  });
});

describe.each(storelessDialects)("the phone routes (%s)", (dialect) => {
  const server = useLatchkey(dialect, {});

  it("exist only with phone in account.signupFields", () => {
    const paths = server.latchkey.routes.map((r) => `${r.method} ${r.path}`);
    expect(paths.filter((p) => p.includes("phone"))).toEqual([]);
  });
});

describe.each(storelessDialects)("the phone routes with a phone field (%s)", (dialect) => {
  const server = useLatchkey(dialect, { account: PHONE });

  it("are the four of allauth", () => {
    const paths = server.latchkey.routes.map((r) => `${r.method} ${r.path}`);
    expect(paths.filter((p) => p.includes("phone")).sort()).toEqual([
      "GET /account/phone",
      "POST /account/phone",
      "POST /auth/phone/verify",
      "POST /auth/phone/verify/resend",
    ]);
  });
});
