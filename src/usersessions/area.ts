import { z } from "zod";
import type { Area } from "../base/area.js";
import type { AuthenticatedContext, Context } from "../base/context.js";
import { logout } from "../base/login.js";
import { authenticated, type Route, route } from "../base/route.js";
import type { MessageId, MessageValues } from "../core/errors.js";
import { ok, type Result } from "../core/responses.js";
import { Answers } from "../core/wire-schemas.js";
import type { ResolvedOptions } from "../options/schema.js";
import { usersessionsOptions } from "./options.js";

/** One entry of GET /auth/sessions (allauth's SessionsResponse); times are float epoch seconds. */
export interface UserSessionResponse {
  user_agent: string;
  ip: string;
  created_at: number;
  is_current: boolean;
  id: number;
  /** Only with usersessions.trackActivity. */
  last_seen_at?: number;
}

/**
 * DELETE /auth/sessions `{sessions: [id…]}`. Which ids are valid depends on the caller's
 * sessions, so the list is checked in the handler (Django's ModelMultipleChoiceField over them).
 */
export const EndSessionsInput = z.object({
  sessions: z.unknown().describe("Ids of the caller's sessions to end (from GET /auth/sessions)."),
});
export type EndSessionsInput = z.infer<typeof EndSessionsInput>;

async function listSessions(ctx: Context, userId: number): Promise<UserSessionResponse[]> {
  const track = ctx.options.usersessions.trackActivity;
  const rows = await ctx.rt.sessions.listForUser(userId, ctx.now());
  return rows.map((row) => ({
    user_agent: row.user_agent,
    ip: row.ip,
    created_at: row.created_at / 1000,
    is_current: row.id === ctx.session.rowId,
    id: row.id,
    ...(track ? { last_seen_at: row.last_seen_at / 1000 } : {}),
  }));
}

/** Python's str() of a JSON scalar, as Django interpolates it into messages. */
function pythonStr(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  return String(value);
}

/** What Python's int() accepts from a string (ASCII digits; underscores between digits). */
const PYTHON_INT = /^\s*[+-]?\d+(_\d+)*\s*$/;

type Refusal = { id: MessageId; values?: MessageValues };

/**
 * Django's ModelMultipleChoiceField over the caller's sessions, check for check: empty → required,
 * not a list → invalid_list, an id the database could not compare → invalid_pk_value, an id that
 * is not one of the caller's sessions → invalid_choice.
 */
function selectSessions(value: unknown, choices: ReadonlySet<number>): number[] | Refusal {
  // Django's prepare_value turns any non-string iterable into a list (a dict into its keys).
  let items: unknown = value;
  if (items !== null && typeof items === "object" && !Array.isArray(items)) items = Object.keys(items);
  if (
    items === undefined ||
    items === null ||
    items === false ||
    items === 0 ||
    items === "" ||
    (Array.isArray(items) && items.length === 0)
  ) {
    return { id: "required" };
  }
  if (!Array.isArray(items)) return { id: "invalid_list" };
  // frozenset(): nested lists and objects are unhashable.
  if (items.some((v) => v !== null && typeof v === "object")) {
    return { id: "invalid_list" };
  }
  const unique = [...new Set(items)];
  for (const v of unique) {
    if (typeof v === "string" && (v.includes("\u0000") || !PYTHON_INT.test(v))) {
      return { id: "invalid_pk_value", values: { value: v } };
    }
  }
  const selected = new Set<number>();
  for (const v of unique) {
    // Django compares str(value) with str(pk): "5" and 5 match session 5, " 5" or true do not.
    const text = pythonStr(v);
    const id = /^(0|[1-9][0-9]*)$/.test(text) ? Number(text) : Number.NaN;
    if (typeof v === "boolean" || !choices.has(id)) {
      return { id: "invalid_choice.value", values: { value: text } };
    }
    selected.add(id);
  }
  return [...selected];
}

function usersessionsRoutes(o: ResolvedOptions): Route[] {
  if (!o.usersessions.enabled) return [];
  return [
    route({
      method: "GET",
      path: "/auth/sessions",
      summary: "List the user's sessions",
      responses: { 200: Answers.sessions },
      gate: authenticated,
      handler: async (ctx: AuthenticatedContext) => ok(await listSessions(ctx, ctx.user.id)),
    }),
    route({
      method: "DELETE",
      path: "/auth/sessions",
      summary: "End some of the user's sessions (ending the current one logs out)",
      responses: {
        200: Answers.sessions,
        400: Answers.error,
        401: Answers.authentication,
      },
      gate: authenticated,
      input: EndSessionsInput,
      async handler(ctx: AuthenticatedContext, input: EndSessionsInput): Promise<Result> {
        const user = ctx.user;
        const current = await listSessions(ctx, user.id);
        const selected = selectSessions(input.sessions, new Set(current.map((s) => s.id)));
        if (!Array.isArray(selected)) return ctx.invalid(selected.id, "sessions", selected.values);
        const others = selected.filter((id) => id !== ctx.session.rowId);
        await ctx.rt.sessions.deleteRowsForUser(user.id, others);
        if (others.length > 0) await ctx.emit("sessionRevoked", user, { sessions: others });
        if (others.length !== selected.length) return logout(ctx);
        return ok(await listSessions(ctx, user.id));
      },
    }),
  ];
}

/** User sessions: list and end them (allauth.usersessions). */
export const usersessionsArea: Area = {
  name: "usersessions",
  options: { usersessions: usersessionsOptions },
  routes: usersessionsRoutes,
  config: (o) =>
    o.usersessions.enabled
      ? { key: "usersessions", value: { track_activity: o.usersessions.trackActivity } }
      : undefined,
};
