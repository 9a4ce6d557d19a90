import type { z } from "zod";
import type { Client } from "../core/enums.js";
import type { FlowInfo } from "../core/wire.js";
import type { ResolvedOptions } from "../options/schema.js";
import type { AreaHooks, Context, Stage } from "./context.js";
import type { LatchkeyHooks } from "./hooks.js";
import type { PageRoute, Route } from "./route.js";

/**
 * One area of the API, as allauth splits it into apps (account, mfa, socialaccount,
 * usersessions) and everything it brings. The core imports no area: an area plugs in by being
 * listed in latchkey.ts, and declares its option section and message ids by declaration merging
 * (see AreaOptions in options/schema.ts and MessageCatalog in core/errors.ts).
 */
export interface Area {
  name: string;
  /** Its option sections, by key (each declared in AreaOptions as well). */
  options?: Readonly<Record<string, z.ZodType>>;
  /** Its cross-option checks (allauth's system checks): throw OptionsError naming the option. */
  checkOptions?(o: ResolvedOptions): void;
  /** Its endpoints under /{base}/{client}/v1, as the options (and your hooks' signupFields) shape them. */
  routes?(o: ResolvedOptions, hooks: LatchkeyHooks): Route[];
  /** Its endpoints outside the API base. */
  pages?(o: ResolvedOptions): PageRoute[];
  /** Its login stages (they take their place in allauth's order). */
  stages?: readonly Stage[];
  /** Its section of GET /config (absent when it answers undefined). */
  config?(o: ResolvedOptions, client: Client): { key: string; value: unknown } | undefined;
  /**
   * Its entries of the flow list of a 401: for an anonymous caller the ways to log in, for a
   * logged-in one (ctx.user set) the ways to reauthenticate.
   */
  flows?(ctx: Context): Promise<FlowInfo[]> | FlowInfo[];
  /** Its error messages, by message id. */
  messages?: Readonly<Record<string, string>>;
  /** Its own rate-limit actions with their default rules (each declared in RateLimitCatalog as well). */
  rateLimitActions?: Readonly<Record<string, string>>;
  /** Defaults of rate-limit actions that depend on its options (false: off). */
  rateLimitDefaults?(o: ResolvedOptions): Readonly<Record<string, string | false>>;
  /** What it lets other areas ask of it. */
  hooks?: Partial<AreaHooks>;
}
