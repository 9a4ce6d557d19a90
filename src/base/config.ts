import { Client } from "../core/enums.js";
import { ok, type Result } from "../core/responses.js";
import { Answers } from "../core/wire-schemas.js";
import type { ResolvedOptions } from "../options/schema.js";
import type { Area } from "./area.js";
import { type Route, route } from "./route.js";

/**
 * GET /config: what the frontend needs to know about this server, one section per area that has
 * one (allauth: account, socialaccount, mfa, usersessions). The answer depends only on the
 * options and the client tree, so it is built once per tree.
 */
export function configRoute(areas: readonly Area[], o: ResolvedOptions): Route {
  const answers = new Map<Client, Result>();
  for (const client of [Client.BROWSER, Client.APP]) {
    const data: Record<string, unknown> = {};
    for (const area of areas) {
      const section = area.config?.(o, client);
      if (section) data[section.key] = section.value;
    }
    answers.set(client, ok(data));
  }
  return route({
    method: "GET",
    path: "/config",
    summary: "Get the configuration",
    responses: { 200: Answers.configuration },
    handler: async (ctx) => answers.get(ctx.client)!,
  });
}
