import type { Area } from "../area.js";
import { mfaAuthenticateStage } from "./stage.js";

/** MFA: TOTP, recovery codes, the mfa_authenticate and mfa_trust stages, 2FA endpoints. */
export const mfaArea: Area = {
  name: "mfa",
  routes: () => [],
  stages: [mfaAuthenticateStage],
};
