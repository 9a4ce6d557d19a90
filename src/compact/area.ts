import type { Area } from "../base/area.js";
import type { MountedApi } from "../base/pipeline.js";
import type { Route } from "../base/route.js";
import type { ResolvedOptions } from "../options/schema.js";
import { compactMessages } from "./messages.js";
import { checkCompactOptions, compactApiOptions } from "./options.js";
import { COMPACT_ROUTES } from "./routes.js";
import { mountCompactApi } from "./translate.js";

/**
 * The compact Bearer-token API (`/auth/login/`, `/auth/user/`, …): its options and messages. Its
 * routes are not under the allauth API's trees: the pipeline serves them under
 * compactApi.basePath (see compactApi).
 */
export const compactArea: Area = {
  name: "compact",
  options: { compactApi: compactApiOptions },
  checkOptions: checkCompactOptions,
  messages: compactMessages,
};

/** The compact API over the app routes these options serve; null when compactApi.basePath is false or `clients` lacks "app". */
export function compactApi(o: ResolvedOptions, appRoutes: readonly Route[]): MountedApi | null {
  return mountCompactApi(o, COMPACT_ROUTES, appRoutes);
}
