import { dirname, isAbsolute, resolve } from "node:path";
import type { ResolvedOptions } from "../options/schema.js";

/**
 * What `latchkey check --production` lists, and `latchkey serve` logs under NODE_ENV=production:
 * options that are fine on a laptop and wrong in production. Each line names the option.
 */
export function productionProblems(o: ResolvedOptions, workingDirectory: string): string[] {
  const problems: string[] = [];
  if (o.mail.transport !== "smtp") {
    problems.push(
      `mail.transport is "${o.mail.transport}": mail is ${o.mail.transport === "console" ? "printed" : "written to files"}, not sent; use "smtp" (or createLatchkey's sendMail)`,
    );
  }
  if (/@localhost>?$/.test(o.mail.from)) {
    problems.push(`mail.from is "${o.mail.from}": set the address your mail comes from`);
  }
  if (o.clients.includes("browser")) {
    for (const cookie of ["sessions", "csrf"] as const) {
      if (!o[cookie].cookieSecure) {
        problems.push(
          `${cookie}.cookieSecure is false: browsers also send the ${cookie === "sessions" ? "session" : "CSRF"} cookie over plain HTTP; set it to true and serve over HTTPS`,
        );
      }
    }
    if (o.csrf.trustedOrigins.length === 0 && o.cors.allowedOrigins.length === 0) {
      problems.push(
        "csrf.trustedOrigins and cors.allowedOrigins are empty: a browser frontend on any other origin than the API's gets 403; list your frontend's origin",
      );
    }
  }
  const local = Object.entries(o.frontendUrls).filter(([, url]) =>
    /^https?:\/\/(localhost|127\.0\.0\.1)[:/]/.test(url),
  );
  if (local.length > 0) {
    problems.push(
      `frontendUrls.${local.map(([name]) => name).join(", frontendUrls.")} point at localhost: mailed links would not reach your users`,
    );
  }
  if (o.database.url.startsWith("sqlite:")) {
    const file = o.database.url.slice("sqlite:".length);
    if (file === "" || file === ":memory:") {
      problems.push(
        "database.url is an in-memory SQLite database: everything is lost when the process stops",
      );
    } else if (!isAbsolute(file) || dirname(resolve(workingDirectory, file)) === resolve(workingDirectory)) {
      problems.push(
        `database.url is the SQLite file ${file} in the working directory: give it an absolute path on persistent storage (or use PostgreSQL)`,
      );
    }
  }
  if (o.rateLimits === false) {
    problems.push("rateLimits is false: logins, signups and codes are not rate-limited");
  } else if (o.rateLimits.store === "memory") {
    problems.push(
      'rateLimits.store is "memory": each process counts on its own, so with several instances the limits multiply; use "postgres" or "redis" then',
    );
  }
  if (o.clients.includes("browser") && o.mfa.enabled && o.mfa.trust.enabled && !o.mfa.trust.cookieSecure) {
    problems.push(
      "mfa.trust.cookieSecure is false: the cookie that lets a browser skip MFA also travels over plain HTTP; set it to true",
    );
  }
  if ("dummy" in o.socialaccount.providers) {
    problems.push(
      "socialaccount.providers has the development provider (dummy): anyone can log in as anyone through it; remove it",
    );
  }
  if (o.tokens.strategy === "jwt" && o.tokens.jwt.algorithm === "HS256") {
    const secret = o.tokens.jwt.privateKey ?? "";
    if (new Set(secret).size < 16) {
      problems.push(
        "tokens.jwt.privateKey is an HS256 secret with fewer than 16 different characters: use a long random secret (e.g. openssl rand -hex 32)",
      );
    }
  }
  return problems;
}
