import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";

/**
 * A software WebAuthn authenticator for tests: ES256 keys from node:crypto, 'none' attestation,
 * a signature counter per credential, and discoverable credentials (userHandle) for passkeys.
 * It takes the JSON options the server sends and returns the JSON a browser's
 * `PublicKeyCredential.toJSON()` would, so tests drive the API exactly as a frontend does.
 */

// --- a minimal CBOR encoder (RFC 8949): what attestation objects and COSE keys need ---

type CborValue =
  | number
  | string
  | Uint8Array
  | CborValue[]
  | Map<CborValue, CborValue>
  | { [k: string]: CborValue };

function head(major: number, value: number): Buffer {
  if (value < 24) return Buffer.from([(major << 5) | value]);
  if (value < 0x100) return Buffer.from([(major << 5) | 24, value]);
  if (value < 0x10000) {
    const b = Buffer.alloc(3);
    b[0] = (major << 5) | 25;
    b.writeUInt16BE(value, 1);
    return b;
  }
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(value, 1);
  return b;
}

export function cborEncode(value: CborValue): Buffer {
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new Error("CBOR floats are not needed here");
    return value >= 0 ? head(0, value) : head(1, -1 - value);
  }
  if (typeof value === "string") {
    const bytes = Buffer.from(value, "utf8");
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), Buffer.from(value)]);
  if (Array.isArray(value)) return Buffer.concat([head(4, value.length), ...value.map(cborEncode)]);
  const entries: [CborValue, CborValue][] = value instanceof Map ? [...value] : Object.entries(value);
  return Buffer.concat([
    head(5, entries.length),
    ...entries.flatMap(([k, v]) => [cborEncode(k), cborEncode(v)]),
  ]);
}

// --- the authenticator ---

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

const b64url = (b: Uint8Array) => Buffer.from(b).toString("base64url");
const sha256 = (b: Uint8Array | string) => createHash("sha256").update(b).digest();

export interface SoftCredential {
  id: Buffer;
  rpId: string;
  privateKey: KeyObject;
  /** COSE_Key of the public key. */
  cosePublicKey: Buffer;
  /** user.id from the creation options (returned as userHandle). */
  userHandle: Buffer;
  discoverable: boolean;
  signCount: number;
}

export interface PublicKeyCreationOptions {
  challenge: string;
  rp: { id?: string; name: string };
  user: { id: string; name: string; displayName: string };
  authenticatorSelection?: { residentKey?: string; userVerification?: string };
  excludeCredentials?: { id: string }[];
  [key: string]: unknown;
}

export interface PublicKeyRequestOptions {
  challenge: string;
  rpId?: string;
  allowCredentials?: { id: string }[];
  userVerification?: string;
  [key: string]: unknown;
}

export interface RegistrationJSON {
  id: string;
  rawId: string;
  type: "public-key";
  response: { clientDataJSON: string; attestationObject: string; transports: string[] };
  clientExtensionResults: { credProps?: { rk: boolean } };
  authenticatorAttachment: "platform" | "cross-platform";
}

export interface AuthenticationJSON {
  id: string;
  rawId: string;
  type: "public-key";
  response: { clientDataJSON: string; authenticatorData: string; signature: string; userHandle?: string };
  clientExtensionResults: Record<string, never>;
  authenticatorAttachment: "platform" | "cross-platform";
}

export interface CeremonyOverrides {
  /** The page's origin (clientDataJSON.origin). */
  origin?: string;
  /** Replaces the challenge the server sent (to test a wrong challenge). */
  challenge?: string;
  /** Replaces the RP id the authenticator scopes the credential to. */
  rpId?: string;
  /** clientDataJSON.type (webauthn.create / webauthn.get by default). */
  type?: string;
  /** Whether the user was verified (UV flag); default: the authenticator's setting. */
  userVerified?: boolean;
}

export class SoftAuthenticator {
  readonly aaguid: Buffer;
  readonly credentials = new Map<string, SoftCredential>();

  constructor(
    readonly defaults: {
      origin: string;
      /** Performs user verification (PIN/biometrics) when asked. */
      userVerified?: boolean;
      /** Reports credProps.rk (unset: the extension result is left out). */
      reportCredProps?: boolean;
      transports?: string[];
    },
  ) {
    this.aaguid = randomBytes(16);
  }

  /** navigator.credentials.create(): makes a key pair and answers with a 'none' attestation. */
  register(options: PublicKeyCreationOptions, overrides: CeremonyOverrides = {}): RegistrationJSON {
    const rpId = overrides.rpId ?? options.rp.id;
    if (!rpId) throw new Error("creation options without rp.id");
    for (const excluded of options.excludeCredentials ?? []) {
      if (this.credentials.has(excluded.id)) throw new Error("InvalidStateError: credential excluded");
    }
    const discoverable =
      options.authenticatorSelection?.residentKey === "required" ||
      options.authenticatorSelection?.residentKey === "preferred";
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = publicKey.export({ format: "jwk" });
    const cosePublicKey = cborEncode(
      new Map<CborValue, CborValue>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, Buffer.from(jwk.x!, "base64url")],
        [-3, Buffer.from(jwk.y!, "base64url")],
      ]),
    );
    const id = randomBytes(32);
    const credential: SoftCredential = {
      id,
      rpId,
      privateKey,
      cosePublicKey,
      userHandle: Buffer.from(options.user.id, "base64url"),
      discoverable,
      signCount: 0,
    };
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(id.length);
    const authData = Buffer.concat([
      sha256(rpId),
      Buffer.from([this.flags(overrides) | FLAG_AT]),
      counterBytes(credential.signCount),
      this.aaguid,
      idLength,
      id,
      cosePublicKey,
    ]);
    const clientDataJSON = clientData(
      overrides.type ?? "webauthn.create",
      options.challenge,
      this.defaults.origin,
      overrides,
    );
    const attestationObject = cborEncode({ fmt: "none", attStmt: {}, authData });
    this.credentials.set(b64url(id), credential);
    return {
      id: b64url(id),
      rawId: b64url(id),
      type: "public-key",
      response: {
        clientDataJSON: b64url(clientDataJSON),
        attestationObject: b64url(attestationObject),
        transports: this.defaults.transports ?? ["internal"],
      },
      clientExtensionResults:
        this.defaults.reportCredProps === false ? {} : { credProps: { rk: discoverable } },
      authenticatorAttachment: "platform",
    };
  }

  /**
   * navigator.credentials.get(): signs authData ‖ SHA-256(clientDataJSON) with a credential from
   * allowCredentials, or (empty list) a discoverable one for the RP, answering its userHandle.
   */
  authenticate(
    options: PublicKeyRequestOptions,
    overrides: CeremonyOverrides & { credentialId?: string; signCount?: number } = {},
  ): AuthenticationJSON {
    const rpId = overrides.rpId ?? options.rpId;
    if (!rpId) throw new Error("request options without rpId");
    const credential = this.pick(options, rpId, overrides.credentialId);
    credential.signCount = overrides.signCount ?? credential.signCount + 1;
    const authData = Buffer.concat([
      sha256(rpId),
      Buffer.from([this.flags(overrides)]),
      counterBytes(credential.signCount),
    ]);
    const clientDataJSON = clientData(
      overrides.type ?? "webauthn.get",
      options.challenge,
      this.defaults.origin,
      overrides,
    );
    const signature = sign(
      "sha256",
      Buffer.concat([authData, sha256(clientDataJSON)]),
      credential.privateKey,
    );
    return {
      id: b64url(credential.id),
      rawId: b64url(credential.id),
      type: "public-key",
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        ...(credential.discoverable ? { userHandle: b64url(credential.userHandle) } : {}),
      },
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
    };
  }

  private pick(options: PublicKeyRequestOptions, rpId: string, wanted?: string): SoftCredential {
    if (wanted) {
      const c = this.credentials.get(wanted);
      if (!c) throw new Error(`no credential ${wanted}`);
      return c;
    }
    const allowed = options.allowCredentials ?? [];
    const candidates =
      allowed.length > 0
        ? allowed.map((a) => this.credentials.get(a.id)).filter((c): c is SoftCredential => c !== undefined)
        : [...this.credentials.values()].filter((c) => c.discoverable && c.rpId === rpId);
    const found = candidates[candidates.length - 1];
    if (!found) throw new Error("NotAllowedError: no matching credential");
    return found;
  }

  private flags(overrides: CeremonyOverrides): number {
    const verified = overrides.userVerified ?? this.defaults.userVerified ?? true;
    return FLAG_UP | (verified ? FLAG_UV : 0);
  }
}

function counterBytes(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function clientData(type: string, challenge: string, origin: string, overrides: CeremonyOverrides): Buffer {
  return Buffer.from(
    JSON.stringify({
      type,
      challenge: overrides.challenge ?? challenge,
      origin: overrides.origin ?? origin,
      crossOrigin: false,
    }),
  );
}
