import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectOneLineError, freePort, runHere, start } from "./support.js";

/** A config file with allauth's settings: `latchkey check` shows what each became, errors name them, serve takes them. */

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "latchkey-cli-allauth-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

let files = 0;
function configFile(content: Record<string, unknown>): string {
  const file = join(dir, `config-${++files}.json`);
  writeFileSync(file, JSON.stringify(content, null, 2));
  return file;
}

describe("latchkey check with allauth settings", () => {
  it("prints what each setting became, then ok and the summary", async () => {
    const file = configFile({
      siteName: "Acme",
      ACCOUNT_LOGIN_METHODS: ["email"],
      ACCOUNT_SIGNUP_FIELDS: ["email*", "password1*"],
      ACCOUNT_EMAIL_VERIFICATION: "mandatory",
      HEADLESS_ONLY: true,
      HEADLESS_FRONTEND_URLS: { account_confirm_email: "https://acme.test/verify/{key}" },
      ACCOUNT_RATE_LIMITS: { login_failed: "10/m/ip,3/300s/key" },
      SOCIALACCOUNT_PROVIDERS: { github: { APPS: [{ client_id: "gh", secret: "gh-secret" }] } },
    });
    const result = await runHere({ command: "check", config: file });
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines.slice(0, lines.indexOf("ok"))).toEqual([
      "allauth settings:",
      '  ACCOUNT_LOGIN_METHODS = ["email"] → account.loginMethods = ["email"]',
      '  ACCOUNT_SIGNUP_FIELDS = ["email*","password1*"] → account.signupFields = ["email*","password1*"]',
      '  ACCOUNT_EMAIL_VERIFICATION = "mandatory" → account.emailVerification = "mandatory"',
      "  HEADLESS_ONLY = true → nothing to set (Latchkey is always headless, without HTML views)",
      '  HEADLESS_FRONTEND_URLS["account_confirm_email"] = "https://acme.test/verify/{key}" → frontendUrls.accountConfirmEmail = "https://acme.test/verify/{key}"',
      '  ACCOUNT_RATE_LIMITS["login_failed"] = "10/m/ip,3/300s/key" → rateLimits.actions.login_failed = "10/m/ip,3/300s/key"',
      '  SOCIALACCOUNT_PROVIDERS["github"] → socialaccount.providers.github = {"apps":[{"clientId":"gh","secret":"***"}]}',
    ]);
    expect(result.stdout).toMatch(/^ {2}login methods\s+email$/m);
    expect(result.stdout).toMatch(/^ {2}email verification\s+mandatory$/m);
    expect(result.stdout).not.toContain("gh-secret");
  });

  it("a file without allauth settings prints ok first, as before", async () => {
    const result = await runHere({ command: "check", config: configFile({ siteName: "Acme" }) });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.split("\n")[0]).toBe("ok");
  });

  it("marks a setting a LATCHKEY_ variable overrode, and the variable wins", async () => {
    const file = configFile({
      ACCOUNT_SIGNUP_FIELDS: ["email*", "username*", "password1*"],
      ACCOUNT_EMAIL_VERIFICATION: "mandatory",
    });
    const result = await runHere(
      { command: "check", config: file },
      { LATCHKEY_ACCOUNT_EMAIL_VERIFICATION: "none" },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      '  ACCOUNT_EMAIL_VERIFICATION = "mandatory" → account.emailVerification = "mandatory" (overridden by a LATCHKEY_ variable)',
    );
    expect(result.stdout).toMatch(/^ {2}email verification\s+none$/m);
  });

  it("an unknown setting is one line naming it, with the likeliest one meant (exit 1)", async () => {
    const result = await runHere({
      command: "check",
      config: configFile({ ACCOUNT_LOGIN_METHOD: ["email"] }),
    });
    expectOneLineError(
      result,
      "ACCOUNT_LOGIN_METHOD: unknown allauth setting (did you mean ACCOUNT_LOGIN_METHODS?)",
    );
    expect(result.stdout).toBe("");
  });

  it("an unsupported setting is one line saying why (exit 1)", async () => {
    expectOneLineError(
      await runHere({
        command: "check",
        config: configFile({ ACCOUNT_FORMS: { login: "myapp.forms.Login" } }),
      }),
      "ACCOUNT_FORMS: not supported by Latchkey: Python form classes",
    );
    expectOneLineError(
      await runHere({ command: "check", config: configFile({ HEADLESS_ONLY: false }) }),
      "HEADLESS_ONLY: Latchkey supports only true",
    );
  });

  it("an option given both ways is one line naming both (exit 1)", async () => {
    const file = configFile({ mfa: { supportedTypes: ["totp"] }, MFA_SUPPORTED_TYPES: ["totp", "webauthn"] });
    expectOneLineError(
      await runHere({ command: "check", config: file }),
      "MFA_SUPPORTED_TYPES: given both ways, as this allauth setting and as mfa.supportedTypes; keep one",
    );
  });

  it("a bad value names the setting written and the option it became (exit 1)", async () => {
    expectOneLineError(
      await runHere({ command: "check", config: configFile({ MFA_TOTP_DIGITS: 10 }) }),
      "MFA_TOTP_DIGITS → mfa.totp.digits: ",
    );
    expectOneLineError(
      await runHere({
        command: "check",
        config: configFile({ MFA_SUPPORTED_TYPES: ["totp"], MFA_PASSKEY_LOGIN_ENABLED: true }),
      }),
      'MFA_PASSKEY_LOGIN_ENABLED → mfa.passkeyLogin: requires "webauthn" in mfa.supportedTypes (MFA_SUPPORTED_TYPES)',
    );
    // What only createLatchkey checks (the JWT key) is attributed too.
    expectOneLineError(
      await runHere({
        command: "check",
        config: configFile({
          HEADLESS_TOKEN_STRATEGY: "allauth.headless.tokens.strategies.jwt.JWTTokenStrategy",
          HEADLESS_JWT_ALGORITHM: "HS256",
          HEADLESS_JWT_PRIVATE_KEY: "short",
        }),
      }),
      "HEADLESS_JWT_PRIVATE_KEY → tokens.jwt.privateKey: an HS256 secret must be at least 32 bytes",
    );
  });
});

describe("latchkey serve with allauth settings", () => {
  it("serves the API as the settings say", async () => {
    const file = configFile({
      ACCOUNT_LOGIN_METHODS: ["email"],
      ACCOUNT_SIGNUP_FIELDS: ["email*", "password1*", "password2*"],
      ACCOUNT_EMAIL_VERIFICATION: "mandatory",
      ACCOUNT_LOGIN_BY_CODE_ENABLED: true,
      HEADLESS_ONLY: true,
      MFA_SUPPORTED_TYPES: ["totp", "recovery_codes", "webauthn"],
      MFA_PASSKEY_LOGIN_ENABLED: true,
      SOCIALACCOUNT_PROVIDERS: { github: { APPS: [{ client_id: "gh", secret: "gh-secret" }] } },
    });
    const port = await freePort();
    const child = start(["serve", "--port", String(port), "--config", file], dir, {
      DATABASE_URL: `sqlite:${join(dir, "serve.sqlite3")}`,
    });
    let stdout = "";
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on("data", (d: Buffer) => {
          stdout += d;
          if (stdout.includes("listening on")) resolve();
        });
        child.once("close", () => reject(new Error(`serve exited early:\n${stdout}\n${stderr}`)));
      });
      const response = await fetch(`http://127.0.0.1:${port}/_allauth/browser/v1/config`);
      expect(response.status).toBe(200);
      const { data } = (await response.json()) as {
        data: {
          account: Record<string, unknown>;
          mfa: unknown;
          socialaccount: { providers: { id: string }[] };
        };
      };
      expect(data.account).toMatchObject({ login_methods: ["email"], login_by_code_enabled: true });
      expect(data.mfa).toEqual({
        supported_types: ["totp", "recovery_codes", "webauthn"],
        passkey_login_enabled: true,
      });
      expect(data.socialaccount.providers.map((p) => p.id)).toEqual(["github"]);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  });
});
