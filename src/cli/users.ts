import { pino } from "pino";
import { passwordErrors } from "../account/passwords/policy.js";
import { storedUsername, usernameErrors } from "../account/usernames.js";
import { Context, type Runtime } from "../base/context.js";
import { isValidEmail } from "../core/email.js";
import { AuthenticatorType, Client } from "../core/enums.js";
import type { Latchkey } from "../latchkey.js";
import type { LatchkeyOptions } from "../options/schema.js";
import { Session } from "../sessions/session.js";
import type { UserRecord } from "../store/users.js";
import { CliError } from "./config.js";
import type { Invocation } from "./invocation.js";
import { open, startOrExplain } from "./open.js";
import { readPassword } from "./password.js";

/**
 * `latchkey users …` and `latchkey sessions revoke`: the administration of accounts, through the
 * same repositories and rules as the API (username and password validators, password hashing,
 * sessions ended the way the API ends them).
 */
export async function runAdministration(
  invocation: Invocation,
  input: LatchkeyOptions,
  stdin: NodeJS.ReadStream,
): Promise<number> {
  // No rate-limit store is needed; logs go to standard error, standard output is the answer.
  const latchkey = await open(
    { ...input, rateLimits: false },
    { logger: pino({ level: input.logLevel ?? "warn" }, pino.destination(2)) },
  );
  try {
    await startOrExplain(latchkey);
    const rt = latchkey.runtime;
    switch (invocation.command) {
      case "users create":
        return await createUser(rt, invocation, stdin);
      case "users list":
        return await listUsers(rt);
      case "users show":
        return await showUser(rt, await findUser(rt, invocation.argument!));
      case "users deactivate":
      case "users activate": {
        const user = await findUser(rt, invocation.argument!);
        const active = invocation.command === "users activate";
        await rt.users.setActive(user.id, active);
        console.log(
          active
            ? `Activated user ${user.id}.`
            : `Deactivated user ${user.id}: it cannot log in, and its sessions have ended.`,
        );
        return 0;
      }
      case "users set-password":
        return await setPassword(
          rt,
          await findUser(rt, invocation.argument!),
          invocation.noPassword ?? false,
          stdin,
        );
      case "users mfa-reset":
        return await resetMfa(rt, await findUser(rt, invocation.argument!));
      case "sessions revoke":
        if (invocation.all && invocation.user !== undefined)
          throw new CliError("sessions revoke takes --user USER or --all, not both");
        if (invocation.all) return await revokeAllSessions(rt);
        if (!invocation.user)
          throw new CliError("sessions revoke needs --user USER (an id, an email or a username) or --all");
        return await revokeSessions(latchkey, await findUser(rt, invocation.user));
      default:
        throw new CliError(`unknown command "${invocation.command}"`);
    }
  } finally {
    await latchkey.close().catch(() => {});
  }
}

/** A user named by its id, an email address or its username. */
async function findUser(rt: Runtime, who: string): Promise<UserRecord> {
  const kind = /^\d+$/.test(who) ? "id" : who.includes("@") ? "email" : "username";
  const user =
    kind === "id"
      ? await rt.users.findById(Number(who))
      : kind === "email"
        ? await rt.users.findByEmail(who)
        : await rt.users.findByUsername(who);
  if (!user) throw new CliError(`no user with the ${kind} ${who}`);
  return user;
}

/** A request from the command line, for the checks written for API requests (username rules). */
function commandContext(rt: Runtime): Context {
  const request = { method: "POST", url: "http://localhost/", headers: { get: () => null }, body: null };
  return new Context(rt, request, Client.APP, "127.0.0.1", Session.fresh(rt.now()), null, null, new Map());
}

async function createUser(rt: Runtime, invocation: Invocation, stdin: NodeJS.ReadStream): Promise<number> {
  const o = rt.options;
  const email = invocation.email?.trim() || null;
  const username = invocation.username ? storedUsername(o, invocation.username.trim()) : null;
  if (username === null && email === null)
    throw new CliError("users create needs --username, --email or both");
  if (email !== null && !isValidEmail(email)) throw new CliError(`"${email}" is not a valid email address`);
  if (username !== null) {
    const errors = await usernameErrors(commandContext(rt), username);
    if (errors.length > 0) throw new CliError(`username: ${errors.map((e) => e.message).join(" ")}`);
  }
  if (email !== null && o.account.uniqueEmail && (await rt.users.findByEmail(email))) {
    throw new CliError(`a user with the email ${email} exists already`);
  }
  const hash = invocation.noPassword
    ? null
    : await rt.hasher.hash(await acceptablePassword(rt, { username, email }, stdin));
  const created = await rt.users.create({
    username,
    password: hash,
    ...(email !== null ? { email: { address: email, verified: invocation.verified ?? false } } : {}),
    now: rt.now(),
  });
  if ("conflict" in created) throw new CliError(`a user with this ${created.conflict} exists already`);
  console.log(`Created user ${created.id}${describe(username, email)}.`);
  return 0;
}

/** A password read from standard input or the terminal that the password rules accept. */
async function acceptablePassword(
  rt: Runtime,
  user: { username: string | null; email: string | null },
  stdin: NodeJS.ReadStream,
): Promise<string> {
  const password = await readPassword(stdin);
  const errors = await passwordErrors(rt, password, user, "password");
  if (errors.length > 0) throw new CliError(`password: ${errors.map((e) => e.message).join(" ")}`);
  return password;
}

async function listUsers(rt: Runtime): Promise<number> {
  const rows = await rt.store.db
    .selectFrom("user as u")
    .leftJoin("email_address as e", (join) => join.onRef("e.user_id", "=", "u.id").on("e.is_primary", "=", 1))
    .select(["u.id", "u.username", "u.is_active", "u.last_login", "e.email", "e.verified"])
    .orderBy("u.id")
    .execute();
  const table = [
    ["ID", "USERNAME", "EMAIL", "ACTIVE", "LAST LOGIN"],
    ...rows.map((r) => [
      String(r.id),
      r.username ?? "-",
      r.email ? `${r.email}${r.verified === 1 ? "" : " (unverified)"}` : "-",
      r.is_active === 1 ? "yes" : "no",
      r.last_login === null ? "never" : new Date(r.last_login).toISOString(),
    ]),
  ];
  const widths = table[0]!.map((_, column) => Math.max(...table.map((row) => row[column]!.length)));
  for (const row of table)
    console.log(
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join("  ")
        .trimEnd(),
    );
  return 0;
}

async function showUser(rt: Runtime, user: UserRecord): Promise<number> {
  const [addresses, authenticators, sessions] = await Promise.all([
    rt.addresses.list(user.id),
    rt.authenticators.types(user.id),
    rt.sessions.listForUser(user.id, rt.now()),
  ]);
  const lines = [
    `id             ${user.id}`,
    `username       ${user.username ?? "-"}`,
    `active         ${user.isActive ? "yes" : "no"}`,
    `password       ${user.hasPassword ? "set" : "none (login by code, passkey or a provider only)"}`,
    `emails         ${
      addresses
        .map(
          (a) =>
            `${a.email}${a.is_primary === 1 ? " (primary)" : ""}${a.verified === 1 ? "" : " (unverified)"}`,
        )
        .join(", ") || "-"
    }`,
    `authenticators ${authenticators.join(", ") || "-"}`,
    `sessions       ${sessions.length}`,
    ...sessions.map(
      (s) =>
        `  ${s.id}: since ${new Date(s.created_at).toISOString()}, last seen ${new Date(s.last_seen_at).toISOString()}, ${s.ip || "-"}, ${s.user_agent || "-"}`,
    ),
  ];
  console.log(lines.join("\n"));
  return 0;
}

async function setPassword(
  rt: Runtime,
  user: UserRecord,
  noPassword: boolean,
  stdin: NodeJS.ReadStream,
): Promise<number> {
  const hash = noPassword ? null : await rt.hasher.hash(await acceptablePassword(rt, user, stdin));
  // As a password change does in Django, it ends the sessions the old password opened.
  await rt.users.setPassword(user.id, hash, { endSessionsExcept: { keep: null } });
  console.log(
    `${noPassword ? "Removed the password of" : "Set the password of"} user ${user.id}${describe(user.username, user.email)}; its sessions were ended.`,
  );
  return 0;
}

async function revokeSessions(latchkey: Latchkey, user: UserRecord): Promise<number> {
  const rt = latchkey.runtime;
  const sessions = await rt.sessions.listForUser(user.id, rt.now());
  await rt.sessions.deleteRowsForUser(
    user.id,
    sessions.map((s) => s.id),
  );
  console.log(`Ended ${sessions.length} session${sessions.length === 1 ? "" : "s"} of user ${user.id}.`);
  return 0;
}

/**
 * Ends every session row, logged in or not (pending logins and signups too): their tokens,
 * cookies and refresh tokens stop working at once. JWT access tokens verified without the session
 * (no tokens.jwt.statefulValidation, or by another service with the JWKS) live until they expire.
 */
async function revokeAllSessions(rt: Runtime): Promise<number> {
  const count = await rt.sessions.deleteAll();
  console.log(`Ended ${count} session${count === 1 ? "" : "s"}.`);
  const tokens = rt.options.tokens;
  if (tokens.strategy === "jwt" && !tokens.jwt.statefulValidation) {
    console.log(
      `Access tokens already issued stay valid until they expire (tokens.jwt.accessTokenExpiresIn, ${tokens.jwt.accessTokenExpiresIn} s) wherever they are checked without the session; a new tokens.jwt.privateKey ends them at once.`,
    );
  }
  return 0;
}

/** The order removals are recorded in: the factors, then the recovery codes that backed them up (which go with the last factor anyway). */
const MFA_RESET_ORDER = [
  AuthenticatorType.TOTP,
  AuthenticatorType.WEBAUTHN,
  AuthenticatorType.RECOVERY_CODES,
];

/**
 * Removes every authenticator of a user who lost them all, and ends its sessions: the operator's
 * way back in for that user (ASVS 6.4.4), after proving the person's identity as strongly as at
 * enrolment. Each type removed is recorded as the API records a removal (`mfaRemoved`).
 */
async function resetMfa(rt: Runtime, user: UserRecord): Promise<number> {
  const rows = await rt.authenticators.list(user.id);
  const ctx = commandContext(rt);
  const removed: string[] = [];
  for (const type of MFA_RESET_ORDER) {
    const ofType = rows.filter((r) => r.type === type);
    if (ofType.length === 0) continue;
    await rt.authenticators.remove(user.id, { type });
    removed.push(type === AuthenticatorType.WEBAUTHN ? `${ofType.length} webauthn` : type);
    await ctx.emit("mfaRemoved", user, {
      type,
      ...(type === AuthenticatorType.WEBAUTHN ? { ids: ofType.map((r) => r.id) } : {}),
      by: "latchkey users mfa-reset",
    });
  }
  const sessions = await rt.sessions.listForUser(user.id, rt.now());
  await rt.sessions.deleteRowsForUser(
    user.id,
    sessions.map((s) => s.id),
  );
  const ended = `${sessions.length} session${sessions.length === 1 ? "" : "s"}`;
  console.log(
    removed.length > 0
      ? `Removed ${removed.join(", ")} from user ${user.id}${describe(user.username, user.email)}; ended ${ended}.`
      : `User ${user.id}${describe(user.username, user.email)} had no authenticators; ended ${ended}.`,
  );
  return 0;
}

function describe(username: string | null, email: string | null): string {
  const names = [username, email].filter((n) => n !== null);
  return names.length > 0 ? ` (${names.join(", ")})` : "";
}
