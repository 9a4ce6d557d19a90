import { z } from "zod";
import { field } from "../core/input.js";

/**
 * Inputs of the MFA area, named as allauth's headless inputs. `code` is a Django CharField
 * (stripped; missing, null or blank is `required`).
 */

/** POST /auth/2fa/authenticate, /auth/2fa/reauthenticate, /account/authenticators/totp. */
export const CodeInput = z.object({ code: field.text() });
export type CodeInput = z.infer<typeof CodeInput>;

/** POST /auth/2fa/trust: `trust` is optional (a BooleanField with required=False: absent means false). */
export const TrustInput = z.object({
  trust: z.preprocess((v) => (v === null ? undefined : v), field.boolean().optional()),
});
export type TrustInput = z.infer<typeof TrustInput>;
