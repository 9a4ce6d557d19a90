import { createLatchkey } from "../../src/latchkey.js";
import type { OpenApiDocument } from "../../src/openapi/document.js";
import type { LatchkeyOptions } from "../../src/options/schema.js";

/** JSON as the tests walk it. */
// biome-ignore lint/suspicious/noExplicitAny: a walk over arbitrary JSON
export type Json = any;

/**
 * Every feature Latchkey has, on: allauth's spec documents them all (login by each method, login
 * by code, passkey login and signup, trusted browsers, phone numbers, social login).
 */
export const EVERY_FEATURE: LatchkeyOptions = {
  account: {
    loginMethods: ["email", "username", "phone"],
    signupFields: ["email*", "username*", "phone*", "password1*"],
    emailVerification: "mandatory",
    emailVerificationByCode: { enabled: true },
    loginByCode: { enabled: true },
    passwordResetByCode: { enabled: true },
  },
  mfa: {
    supportedTypes: ["recovery_codes", "totp", "webauthn"],
    passkeyLogin: true,
    passkeySignup: true,
    trust: { enabled: true },
  },
  socialaccount: { providers: { dummy: {} } },
};

/** The document these options serve (creating Latchkey opens nothing, so no database is needed). */
export async function documentOf(options: LatchkeyOptions = {}): Promise<OpenApiDocument> {
  const latchkey = createLatchkey({ ...options, database: { url: "sqlite::memory:" } });
  await latchkey.close();
  return latchkey.openApiDocument();
}

export const METHODS = ["get", "post", "put", "patch", "delete"] as const;

/** Every operation of a document: path, method (lowercase) and the operation. */
export function operations(doc: Json): [string, string, Json][] {
  return Object.entries(doc.paths as Record<string, Json>).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method): [string, string, Json] => [
      path,
      method,
      item[method],
    ]),
  );
}

/** The value a local `$ref` names, followed until it is not a reference. */
export function deref(doc: Json, value: Json): Json {
  let current = value;
  for (let hops = 0; current?.$ref !== undefined; hops++) {
    if (hops > 20) throw new Error(`reference loop at ${current.$ref}`);
    const target = (current.$ref as string)
      .slice(2)
      .split("/")
      .reduce((node: Json, key: string) => node?.[key], doc);
    if (target === undefined) throw new Error(`dangling reference ${current.$ref}`);
    current = target;
  }
  return current;
}
