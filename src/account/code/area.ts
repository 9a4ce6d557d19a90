import type { Area } from "../../area.js";

/** Login by emailed code, and the login_by_code stage. */
export const loginByCodeArea: Area = {
  name: "login_by_code",
  routes: () => [],
};
