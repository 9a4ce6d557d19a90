import { authenticated, pendingStage, type Route, route } from "../../base/route.js";
import { Flow } from "../../core/enums.js";
import type { ResolvedOptions } from "../../options/schema.js";
import { changePhoneInput, VerifyPhoneInput } from "./inputs.js";
import { changePhone, listPhone, ownerOrChangingSignup } from "./manage.js";
import { countInvalidCode, resendPhoneCode, verificationInProgress, verifyPhone } from "./verification.js";

/** Phone verification and the user's number, relative to /{client}/v1. */
export function phoneRoutes(o: ResolvedOptions): Route[] {
  return [
    route({
      method: "POST",
      path: "/auth/phone/verify",
      summary: "Verify a phone number",
      gate: verificationInProgress,
      rateLimit: "confirm_code",
      input: VerifyPhoneInput,
      onInvalidInput: countInvalidCode,
      handler: verifyPhone,
    }),
    route({
      method: "POST",
      path: "/auth/phone/verify/resend",
      summary: "Resend phone number verification code",
      gate: pendingStage(Flow.VERIFY_PHONE, "conflict"),
      handler: resendPhoneCode,
    }),
    route({
      method: "GET",
      path: "/account/phone",
      summary: "Get the phone number",
      gate: authenticated,
      handler: listPhone,
    }),
    route({
      method: "POST",
      path: "/account/phone",
      summary: "Change the phone number",
      gate: ownerOrChangingSignup,
      rateLimit: "change_phone",
      input: changePhoneInput(o),
      handler: changePhone,
    }),
  ];
}
