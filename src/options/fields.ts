import { z } from "zod";

/** Shapes several option sections share. */

/** A duration in whole seconds. */
export const seconds = (d: number) => z.number().int().positive().default(d);

/** allauth's "False, True (= 2) or a count" settings, as a count (0 = off). */
export const countOrBoolean = z
  .union([z.boolean(), z.number().int().min(0)])
  .default(false)
  .transform((v) => (v === true ? 2 : v === false ? 0 : v));

export const cookieSameSite = z.enum(["Lax", "Strict", "None"]);

/** allauth's rate syntax ("10/m/ip,5/300s/key"), or false for off. */
export const rateSpec = z.union([z.string(), z.literal(false)]);
