import { z } from "zod";
import { seconds } from "../options/fields.js";
import { OptionsError } from "../options/resolve.js";
import type { ResolvedOptions } from "../options/schema.js";

/** The compact API's options. */
export const compactApiOptions = z
  .object({
    /**
     * URL prefix of the compact Bearer-token API (`/auth/login/`, `/auth/user/`, …), served beside
     * the allauth API only when `clients` includes "app"; false turns it off.
     */
    basePath: z
      .union([
        z
          .string()
          .regex(/^(\/[A-Za-z0-9._~-]+)+$/, { message: 'must look like "/auth" (no trailing slash)' }),
        z.literal(false),
      ])
      .default("/auth"),
    /** Seconds a compact API access token is valid after it was issued; a refresh issues a new one. */
    accessTokenLifetime: seconds(3600),
    /**
     * The frontend page providers send the user back to in the compact API's redirect flow (register
     * it at each provider); it posts the `code` and `state` it gets to /auth/providers/<id>/callback/.
     */
    providerCallbackUrl: z
      .string()
      .refine((url) => URL.canParse(url) && /^https?:$/.test(new URL(url).protocol), {
        message: "must be an absolute http(s) URL",
      })
      .default("http://localhost:3000/auth/callback"),
  })
  .strict()
  .prefault({});

declare module "../options/schema.js" {
  interface AreaOptions {
    compactApi: z.output<typeof compactApiOptions>;
  }
  interface AreaOptionsInput {
    compactApi?: z.input<typeof compactApiOptions>;
  }
}

/**
 * The compact API may share the allauth API's base path (its routes are other paths), but must not
 * lie inside the allauth API's own trees, whose paths would hide its routes.
 */
export function checkCompactOptions(o: ResolvedOptions): void {
  const mount = o.compactApi.basePath;
  if (mount === false) return;
  const trees = ["browser", "app", "health"].map((tree) => `${o.basePath}/${tree}`);
  if (trees.some((tree) => mount === tree || mount.startsWith(`${tree}/`))) {
    throw new OptionsError(
      "compactApi.basePath",
      `must lie outside the allauth API's ${trees.join(", ")} (basePath "${o.basePath}")`,
    );
  }
}
