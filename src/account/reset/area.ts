import type { Area } from "../../area.js";

/** Password reset by link and by code. */
export const passwordResetArea: Area = {
  name: "password_reset",
  routes: () => [],
};
