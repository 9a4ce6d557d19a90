import type { Stage } from "./account/stages.js";
import type { Route } from "./http/route.js";
import type { ResolvedOptions } from "./options/schema.js";

/**
 * One area of the API (allauth's modules: account, mfa, socialaccount, usersessions, tokens):
 * its routes as data, and the login stages it contributes.
 */
export interface Area {
  name: string;
  routes(o: ResolvedOptions): Route[];
  stages?: readonly Stage[];
}
