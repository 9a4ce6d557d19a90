import { z } from "zod";
import { authenticated, pendingStage, type Route, route } from "../../base/route.js";
import { Flow } from "../../core/enums.js";
import { Answers, answer, okAnswer, PhoneNumber } from "../../core/wire-schemas.js";
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
      responses: {
        200: Answers.authenticated,
        400: Answers.error,
        401: Answers.authentication,
        409: Answers.conflict,
      },
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
      responses: {
        200: Answers.statusOK,
        409: Answers.conflict,
        429: Answers.tooManyRequests,
      },
      gate: pendingStage(Flow.VERIFY_PHONE, "conflict"),
      handler: resendPhoneCode,
    }),
    route({
      method: "GET",
      path: "/account/phone",
      summary: "Get the phone number",
      responses: {
        200: okAnswer("The user's phone number (a list of at most one).", z.array(PhoneNumber)),
      },
      gate: authenticated,
      handler: listPhone,
    }),
    route({
      method: "POST",
      path: "/account/phone",
      summary: "Change the phone number",
      responses: {
        202: answer(
          "The change has started: the new number, to verify with the code texted to it.",
          z.object({ status: z.literal(202), data: z.array(PhoneNumber) }),
        ),
        400: Answers.error,
        401: Answers.authenticationOrReauthentication,
        409: Answers.conflict,
        429: Answers.tooManyRequests,
      },
      gate: ownerOrChangingSignup,
      rateLimit: "change_phone",
      input: changePhoneInput(o),
      handler: changePhone,
    }),
  ];
}
