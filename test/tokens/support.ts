import { generateKeyPairSync, randomBytes } from "node:crypto";
import { expect } from "vitest";
import { Client } from "../../src/core/enums.js";
import type { TestClient } from "../helpers/client.js";
import type { TestServer } from "../helpers/latchkey.js";

export const PASSWORD = "Correct-Horse-Battery-9";

let counter = 0;

/** A unique username for this test file run. */
export function uniqueName(prefix = "user"): string {
  counter += 1;
  return `${prefix}${counter}${randomBytes(3).toString("hex")}`;
}

/** Signs a new user up through the API with this client (which ends up logged in); returns the user id. */
export async function signUp(client: TestClient, username: string, email?: string): Promise<number> {
  const r = await client.post("/auth/signup", {
    username,
    email: email ?? `${username}@example.com`,
    password: PASSWORD,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.data.user.id as number;
}

/** Logs an existing user in with this client; returns the response. */
export async function logIn(client: TestClient, username: string, password = PASSWORD) {
  const r = await client.post("/auth/login", { username, password });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r;
}

/** A fresh client of the same kind with a user signed up and logged in. */
export async function newUser(server: TestServer, client: TestClient, prefix = "user") {
  const username = uniqueName(prefix);
  const fresh = server.client(client.client);
  // A browser needs its CSRF cookie before any unsafe request.
  if (fresh.client === Client.BROWSER) await fresh.get("/config");
  const id = await signUp(fresh, username);
  return { username, id, client: fresh };
}

export type SigningAlgorithm = "RS256" | "ES256" | "EdDSA" | "HS256";

/** A private key for an algorithm, as the options take it: PKCS#8 PEM, or an HS256 secret. */
export function privateKeyFor(algorithm: SigningAlgorithm): string {
  switch (algorithm) {
    case "RS256":
      return pem(generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey);
    case "ES256":
      return pem(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey);
    case "EdDSA":
      return pem(generateKeyPairSync("ed25519").privateKey);
    case "HS256":
      return randomBytes(32).toString("hex");
  }
}

function pem(key: import("node:crypto").KeyObject): string {
  return key.export({ type: "pkcs8", format: "pem" }).toString();
}

/** The decoded (unverified) header and payload of a JWT. */
export function decodeJwt(token: string): {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
} {
  const [header, payload] = token.split(".");
  return {
    header: JSON.parse(Buffer.from(header!, "base64url").toString("utf8")),
    payload: JSON.parse(Buffer.from(payload!, "base64url").toString("utf8")),
  };
}
