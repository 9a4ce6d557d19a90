import type { Kysely, Selectable } from "kysely";
import type { CodeProcessTable, Database } from "./tables.js";

/** A live code process as stored (`data` parsed). */
export interface CodeProcessRecord {
  id: number;
  kind: string;
  userId: number | null;
  recipient: string;
  codeHash: string | null;
  attempts: number;
  maxAttempts: number;
  resends: number;
  changes: number;
  data: Record<string, unknown>;
  createdAt: number;
  expiresAt: number;
}

export interface NewCodeProcess {
  kind: string;
  userId: number | null;
  recipient: string;
  codeHash: string | null;
  maxAttempts: number;
  data: Record<string, unknown>;
  createdAt: number;
  expiresAt: number;
}

function toRecord(row: Selectable<CodeProcessTable>): CodeProcessRecord {
  let data: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(row.data);
    if (parsed !== null && typeof parsed === "object") data = parsed as Record<string, unknown>;
  } catch {
    // A damaged row keeps its counters; its own state reads as empty.
  }
  return {
    id: row.id,
    kind: row.kind,
    userId: row.user_id,
    recipient: row.recipient,
    codeHash: row.code_hash,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    resends: row.resends,
    changes: row.changes,
    data,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

/**
 * The code processes table. Every change that limits a process is one conditional UPDATE, so the
 * database settles concurrent requests: a guess is claimed before it is checked, and the claim
 * fails once `max_attempts` guesses were claimed, however many arrive at once.
 */
export class CodeProcessStore {
  constructor(private readonly db: Kysely<Database>) {}

  async create(values: NewCodeProcess): Promise<CodeProcessRecord> {
    const row = await this.db
      .insertInto("code_process")
      .values({
        kind: values.kind,
        user_id: values.userId,
        recipient: values.recipient,
        code_hash: values.codeHash,
        attempts: 0,
        max_attempts: values.maxAttempts,
        resends: 0,
        changes: 0,
        data: JSON.stringify(values.data),
        created_at: values.createdAt,
        expires_at: values.expiresAt,
        ended_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRecord(row);
  }

  /** The process if it is still live: not ended, not expired, guesses left. */
  async findLive(id: number, kind: string, now: number): Promise<CodeProcessRecord | null> {
    const row = await this.db
      .selectFrom("code_process")
      .selectAll()
      .where("id", "=", id)
      .where("kind", "=", kind)
      .where("ended_at", "is", null)
      .where("expires_at", ">", now)
      .where((eb) => eb("attempts", "<", eb.ref("max_attempts")))
      .executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  /**
   * Claims one guess: the process as it is after the claim, or null when it had none left (or
   * ended, or expired). Only a claimed guess may be checked.
   */
  async claimAttempt(id: number, now: number): Promise<CodeProcessRecord | null> {
    const row = await this.db
      .updateTable("code_process")
      .set((eb) => ({ attempts: eb("attempts", "+", 1) }))
      .where("id", "=", id)
      .where("ended_at", "is", null)
      .where("expires_at", ">", now)
      .where((eb) => eb("attempts", "<", eb.ref("max_attempts")))
      .returningAll()
      .executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  /** Gives back the guess of a right code: only wrong guesses use up the process. */
  async refundAttempt(id: number): Promise<void> {
    await this.db
      .updateTable("code_process")
      .set((eb) => ({ attempts: eb("attempts", "-", 1) }))
      .where("id", "=", id)
      .where("attempts", ">", 0)
      .execute();
  }

  /** Ends the process; true only for the one call that ended it (a code is spent once). */
  async end(id: number, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable("code_process")
      .set({ ended_at: now })
      .where("id", "=", id)
      .where("ended_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Replaces the code of a live process (a resend, or a change of recipient), counted against
   * `limit` resends or changes; null when the process is gone or the limit was reached.
   */
  async replaceCode(
    id: number,
    now: number,
    change: {
      codeHash: string | null;
      count: "resends" | "changes";
      limit: number;
      recipient?: string;
      data?: Record<string, unknown>;
    },
  ): Promise<CodeProcessRecord | null> {
    const row = await this.db
      .updateTable("code_process")
      .set((eb) => ({
        code_hash: change.codeHash,
        [change.count]: eb(change.count, "+", 1),
        ...(change.recipient !== undefined ? { recipient: change.recipient } : {}),
        ...(change.data !== undefined ? { data: JSON.stringify(change.data) } : {}),
      }))
      .where("id", "=", id)
      .where("ended_at", "is", null)
      .where("expires_at", ">", now)
      .where((eb) => eb("attempts", "<", eb.ref("max_attempts")))
      .where(change.count, "<", change.limit)
      .returningAll()
      .executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  /** Replaces the kind's own state of a live process. */
  async setData(id: number, data: Record<string, unknown>): Promise<void> {
    await this.db
      .updateTable("code_process")
      .set({ data: JSON.stringify(data) })
      .where("id", "=", id)
      .where("ended_at", "is", null)
      .execute();
  }

  /** Removes processes that can no longer be used: expired ones (ended ones expire too). */
  async purgeExpired(now: number): Promise<number> {
    const result = await this.db.deleteFrom("code_process").where("expires_at", "<=", now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
