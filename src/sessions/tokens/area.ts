import type { Area } from "../../area.js";

/** Token endpoints of the app tree (refresh) and the JWKS document. */
export const tokensArea: Area = {
  name: "tokens",
  routes: () => [],
};
