import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/** Binds every ciphertext to its use, so one cannot be passed off as another kind of value. */
const AAD = Buffer.from("latchkey social token v1");
const VERSION = "v1";

/**
 * Provider tokens at rest (socialaccount.storeTokens): AES-256-GCM with a random 96-bit IV per
 * value, stored as `v1.<iv>.<ciphertext+tag>` (base64url). A value that does not decrypt (another
 * key, tampered) reads as null.
 */
export class TokenCipher {
  constructor(private readonly key: Buffer) {}

  encrypt(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    cipher.setAAD(AAD);
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
    return `${VERSION}.${iv.toString("base64url")}.${body.toString("base64url")}`;
  }

  decrypt(stored: string): string | null {
    const [version, iv, body] = stored.split(".");
    if (version !== VERSION || !iv || !body) return null;
    try {
      const bytes = Buffer.from(body, "base64url");
      const decipher = createDecipheriv("aes-256-gcm", this.key, Buffer.from(iv, "base64url"));
      decipher.setAAD(AAD);
      decipher.setAuthTag(bytes.subarray(bytes.length - 16));
      return Buffer.concat([
        decipher.update(bytes.subarray(0, bytes.length - 16)),
        decipher.final(),
      ]).toString("utf8");
    } catch {
      return null;
    }
  }
}
