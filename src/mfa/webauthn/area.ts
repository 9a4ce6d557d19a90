import type { Area } from "../../area.js";

/** WebAuthn security keys and passkeys: registration, 2FA, reauthentication, passkey login and signup. */
export const webauthnArea: Area = {
  name: "webauthn",
  routes: () => [],
};
