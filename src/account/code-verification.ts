import type { Context } from "../base/context.js";
import { safeEqual, sha256 } from "../core/crypto.js";
import { conflict, type Result } from "../core/responses.js";
import { generateUserCode, normalizeUserCode, type UserCodeFormat } from "../core/usercode.js";
import type { CodeProcessRecord } from "../store/code-processes.js";
import { isPhoneNumber } from "./phone/numbers.js";

/** The processes that send a code to a person (by mail, or by text to a phone). */
export type CodeKind = "login_by_code" | "email_verification" | "password_reset" | "phone_verification";

/** How a guess went. */
export type GuessResult =
  | { result: "correct" }
  /** Counted; `lastAttempt` when it used up the process (later guesses are "spent"). */
  | { result: "incorrect"; lastAttempt: boolean }
  /** No guess left, or the process ended or expired: nothing was checked. */
  | { result: "spent" };

/**
 * Codes are kept only as a hash of their normalised form (case-insensitive, punctuation and
 * whitespace ignored, as allauth compares them), so a leaked row does not hand out a working code.
 */
export function hashUserCode(code: string): string {
  return sha256(`user-code:${normalizeUserCode(code)}`);
}

// Compared against when a process has no code (a decoy), so a miss costs what a wrong guess does.
const NO_CODE = hashUserCode("no code was issued");

function settings(ctx: Context, kind: CodeKind): { maxAttempts: number; timeout: number } {
  const a = ctx.options.account;
  switch (kind) {
    case "login_by_code":
      return a.loginByCode;
    case "email_verification":
      return a.emailVerificationByCode;
    case "password_reset":
      return a.passwordResetByCode;
    case "phone_verification":
      return a.phoneVerification;
  }
}

/** Texted codes have a format of their own (allauth texts login codes in it too). */
function codeFormat(ctx: Context, recipient: string): UserCodeFormat {
  const a = ctx.options.account;
  return isPhoneNumber(recipient) ? (a.phoneVerification.codeFormat ?? a.userCodeFormat) : a.userCodeFormat;
}

/**
 * One code sent to a person and what may still be done with it (allauth's
 * AbstractCodeVerificationProcess). The state lives in the database, not the session: the
 * session only names the process (by id), and every guess is claimed atomically before it is
 * checked, so at most `maxAttempts` guesses are ever checked, whatever the concurrency.
 */
export class CodeVerification {
  private constructor(
    readonly kind: CodeKind,
    private record: CodeProcessRecord,
  ) {}

  /** Starts a process; returns it and the code to send (a decoy's code is never accepted). */
  static async start(
    ctx: Context,
    kind: CodeKind,
    init: { userId: number | null; recipient: string; decoy?: boolean; data?: Record<string, unknown> },
  ): Promise<{ process: CodeVerification; code: string }> {
    const { maxAttempts, timeout } = settings(ctx, kind);
    const code = generateUserCode(codeFormat(ctx, init.recipient));
    const now = ctx.now();
    const record = await ctx.rt.codes.create({
      kind,
      userId: init.userId,
      recipient: init.recipient,
      codeHash: init.decoy ? null : hashUserCode(code),
      maxAttempts,
      data: init.data ?? {},
      createdAt: now,
      expiresAt: now + timeout * 1000,
    });
    return { process: new CodeVerification(kind, record), code };
  }

  /** The live process of that id and kind, or null (unknown, ended, expired or used up). */
  static async resume(ctx: Context, kind: CodeKind, id: unknown): Promise<CodeVerification | null> {
    if (typeof id !== "number" || !Number.isSafeInteger(id)) return null;
    const record = await ctx.rt.codes.findLive(id, kind, ctx.now());
    return record ? new CodeVerification(kind, record) : null;
  }

  get id(): number {
    return this.record.id;
  }
  /** Where the code went. */
  get recipient(): string {
    return this.record.recipient;
  }
  get userId(): number | null {
    return this.record.userId;
  }
  /** A decoy accepts no code (an enumeration decoy for an address without an account). */
  get decoy(): boolean {
    return this.record.codeHash === null;
  }
  get resends(): number {
    return this.record.resends;
  }
  get changes(): number {
    return this.record.changes;
  }
  get data(): Readonly<Record<string, unknown>> {
    return this.record.data;
  }

  /** Checks a guess, counting it first (see the class comment). */
  async guess(ctx: Context, given: string): Promise<GuessResult> {
    const claimed = await ctx.rt.codes.claimAttempt(this.id, ctx.now());
    if (!claimed) return { result: "spent" };
    this.record = claimed;
    const matches = safeEqual(claimed.codeHash ?? NO_CODE, hashUserCode(given));
    if (matches && claimed.codeHash !== null) {
      await ctx.rt.codes.refundAttempt(this.id);
      return { result: "correct" };
    }
    return { result: "incorrect", lastAttempt: claimed.attempts >= claimed.maxAttempts };
  }

  /**
   * A guess answered as allauth answers it: null when it is right; 409 when nothing was left to
   * guess; 400 `incorrect_code` on `param` when it is wrong. `end` drops the owner's state when
   * the process is over (nothing left, or this wrong guess was the last allowed).
   */
  async check(ctx: Context, given: string, param: string, end: () => unknown): Promise<Result | null> {
    const guess = await this.guess(ctx, given);
    if (guess.result === "correct") return null;
    if (guess.result === "spent") {
      await end();
      return conflict();
    }
    if (guess.lastAttempt) await end();
    return ctx.invalid("incorrect_code", param);
  }

  /** Counts an attempt that was not even a well-formed guess; false when the process is used up. */
  async recordInvalidAttempt(ctx: Context): Promise<boolean> {
    const claimed = await ctx.rt.codes.claimAttempt(this.id, ctx.now());
    if (claimed) this.record = claimed;
    return claimed !== null && claimed.attempts < claimed.maxAttempts;
  }

  /** Spends the process after a correct guess; false when a concurrent request spent it first. */
  finish(ctx: Context): Promise<boolean> {
    return ctx.rt.codes.end(this.id, ctx.now());
  }

  async abort(ctx: Context): Promise<void> {
    await ctx.rt.codes.end(this.id, ctx.now());
  }

  /** A new code replacing the current one, within `limit` resends; null when refused. */
  async resend(ctx: Context, limit: number): Promise<string | null> {
    return this.replaceCode(ctx, { count: "resends", limit });
  }

  /**
   * A new recipient and a new code, within `limit` changes; null when refused. `decoy` makes the
   * new code one that is never accepted (the new address belongs to another account).
   */
  async change(
    ctx: Context,
    change: { recipient: string; limit: number; decoy: boolean; data?: Record<string, unknown> },
  ): Promise<string | null> {
    return this.replaceCode(ctx, { count: "changes", ...change });
  }

  async setData(ctx: Context, data: Record<string, unknown>): Promise<void> {
    await ctx.rt.codes.setData(this.id, data);
    this.record = { ...this.record, data };
  }

  private async replaceCode(
    ctx: Context,
    change: {
      count: "resends" | "changes";
      limit: number;
      recipient?: string;
      decoy?: boolean;
      data?: Record<string, unknown>;
    },
  ): Promise<string | null> {
    const code = generateUserCode(codeFormat(ctx, change.recipient ?? this.recipient));
    const decoy = change.decoy ?? this.decoy;
    const updated = await ctx.rt.codes.replaceCode(this.id, ctx.now(), {
      codeHash: decoy ? null : hashUserCode(code),
      count: change.count,
      limit: change.limit,
      ...(change.recipient !== undefined ? { recipient: change.recipient } : {}),
      ...(change.data !== undefined ? { data: change.data } : {}),
    });
    if (!updated) return null;
    this.record = updated;
    return code;
  }
}
