import { coreMessages, type Messages } from "../core/errors.js";
import { DEFAULT_RATE_LIMITS } from "../http/ratelimit/index.js";
import { type OptionsComposition, OptionsError } from "../options/resolve.js";
import type { ResolvedOptions } from "../options/schema.js";
import type { Area } from "./area.js";
import { configRoute } from "./config.js";
import type { AreaHooks, Stage } from "./context.js";
import type { LatchkeyHooks } from "./hooks.js";
import { orderStages } from "./login.js";
import type { PageRoute, Route } from "./route.js";

/** What the options take from the areas: their sections and their checks. */
export function optionsComposition(
  areas: readonly Area[],
  checks: OptionsComposition["checks"],
): OptionsComposition {
  const sections: OptionsComposition["sections"] = Object.assign({}, ...areas.map((a) => a.options ?? {}));
  return {
    sections,
    rateLimitActions: [
      ...new Set([
        ...Object.keys(DEFAULT_RATE_LIMITS),
        ...areas.flatMap((a) => Object.keys(a.rateLimitActions ?? {})),
      ]),
    ],
    checks: [
      ...checks,
      ...areas.flatMap((a) => (a.checkOptions ? [a.checkOptions.bind(a)] : [])),
      (o) => checkMessages(areas, o),
    ],
  };
}

/** The endpoints: /config, then each area's. */
export function areaRoutes(areas: readonly Area[], o: ResolvedOptions, hooks: LatchkeyHooks): Route[] {
  return [configRoute(areas, o), ...areas.flatMap((a) => a.routes?.(o, hooks) ?? [])];
}

export function areaPages(areas: readonly Area[], o: ResolvedOptions): PageRoute[] {
  return areas.flatMap((a) => a.pages?.(o) ?? []);
}

export function areaStages(areas: readonly Area[]): Stage[] {
  return orderStages(areas.flatMap((a) => a.stages ?? []));
}

/** Every rate-limit action with its default rules: the catalogue's, the areas' own, then those the options shape. */
export function rateLimitDefaults(
  areas: readonly Area[],
  o: ResolvedOptions,
): Record<string, string | false> {
  return Object.assign(
    {},
    DEFAULT_RATE_LIMITS,
    ...areas.map((a) => a.rateLimitActions ?? {}),
    ...areas.map((a) => a.rateLimitDefaults?.(o) ?? {}),
  );
}

/** The message table: the core's, the areas', then the `messages` option's replacements. */
export function messageTable(areas: readonly Area[], o: ResolvedOptions): Messages {
  return Object.assign({}, coreMessages, ...areas.map((a) => a.messages ?? {}), o.messages) as Messages;
}

function checkMessages(areas: readonly Area[], o: ResolvedOptions): void {
  const known = new Set([
    ...Object.keys(coreMessages),
    ...areas.flatMap((a) => Object.keys(a.messages ?? {})),
  ]);
  for (const id of Object.keys(o.messages)) {
    if (!known.has(id)) throw new OptionsError(`messages.${id}`, "no message has this id");
  }
}

/** One answer per hook from every area that answers it: the first refusal wins. */
export function areaHooks(areas: readonly Area[]): AreaHooks {
  const refusers = areas.flatMap((a) => (a.hooks?.refuseAddingEmail ? [a.hooks.refuseAddingEmail] : []));
  return {
    async refuseAddingEmail(ctx, user) {
      for (const hook of refusers) {
        const refusal = await hook(ctx, user);
        if (refusal) return refusal;
      }
      return null;
    },
  };
}
