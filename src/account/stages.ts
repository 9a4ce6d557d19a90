import type { Flow } from "../core/enums.js";
import type { Result } from "../core/responses.js";
import type { Context } from "../http/context.js";
import type { PendingLogin } from "../sessions/session.js";
import type { UserRecord } from "./users.js";

/**
 * One step of the login pipeline that runs after the first factor (DESIGN §5). Stages are
 * listed in allauth's order in the runtime; a stage that applies stops the login with a 401
 * naming it as the pending flow, until its own endpoint completes it.
 */
export interface Stage {
  /** The flow id the client sees while this stage is pending. */
  key: Flow;
  /** Whether this login must pass this stage. */
  applies(ctx: Context, login: PendingLogin, user: UserRecord): Promise<boolean>;
  /**
   * Runs when the stage becomes pending (e.g. mails a code). A Result means the stage cannot
   * start (its mail is rate-limited): the login ends with that answer.
   */
  start?(ctx: Context, login: PendingLogin, user: UserRecord): Promise<Result | undefined>;
  /** Extra keys of the pending flow object (e.g. `types` of mfa_authenticate). */
  describe?(ctx: Context, login: PendingLogin): Promise<Record<string, unknown>>;
}
