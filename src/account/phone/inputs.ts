import { z } from "zod";
import { failsWith, field } from "../../core/input.js";
import type { ResolvedOptions } from "../../options/schema.js";
import { parsePhone } from "./numbers.js";

/**
 * Inputs of the phone endpoints, named as allauth's headless inputs. Phone fields are built from
 * account.phoneDefaultRegion; the exported constants take numbers with their country code only.
 */

const invalidPhone = failsWith("invalid_phone");

/**
 * allauth's PhoneField: a number with its country code, or without it in `region`; given back in
 * E.164 form.
 */
function phoneSchema(region: string | null) {
  return field
    .text()
    .refine((v) => parsePhone(v, region) !== null, invalidPhone)
    .transform((v) => parsePhone(v, region)!);
}

function optionalPhoneSchema(region: string | null) {
  return field
    .optionalText()
    .refine((v) => v === undefined || parsePhone(v, region) !== null, invalidPhone)
    .transform((v) => (v === undefined ? undefined : parsePhone(v, region)!));
}

/** A required phone field as the options shape it. */
export function phoneField(o: ResolvedOptions) {
  return phoneSchema(o.account.phoneDefaultRegion);
}

/** An optional phone field (blank is undefined) as the options shape it. */
export function optionalPhoneField(o: ResolvedOptions) {
  return optionalPhoneSchema(o.account.phoneDefaultRegion);
}

/** POST /auth/phone/verify. */
export const VerifyPhoneInput = z.object({ code: field.text() });
export type VerifyPhoneInput = z.infer<typeof VerifyPhoneInput>;

/** POST /account/phone: the new number. */
export function changePhoneInput(o: ResolvedOptions) {
  return z.object({ phone: phoneField(o) });
}
export const ChangePhoneInput = z.object({ phone: phoneSchema(null) });
export type ChangePhoneInput = z.infer<typeof ChangePhoneInput>;

/** The optional phone field of login and code-request inputs typed without options. */
export const optionalE164Phone = () => optionalPhoneSchema(null);
