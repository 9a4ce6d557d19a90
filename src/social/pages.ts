import type { Page } from "../core/responses.js";
import { escapeHtml } from "../mail/templates.js";

/**
 * The two HTML pages of the social area: the development provider's login form, and the hop that
 * brings back a session cookie a browser withheld (SameSite=Strict) on a provider's callback.
 * Everything interpolated is escaped; nothing is loaded from elsewhere, and the CSP says so.
 */

const CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'";

function page(status: number, title: string, body: string, head = ""): Page {
  return {
    status,
    html:
      "<!DOCTYPE html>\n" +
      `<html lang="en"><head><meta charset="utf-8">` +
      `<meta http-equiv="Content-Security-Policy" content="${CSP}">` +
      `<meta name="viewport" content="width=device-width, initial-scale=1">` +
      `<meta name="referrer" content="no-referrer">${head}` +
      `<title>${escapeHtml(title)}</title>` +
      "<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1f2937}" +
      "label{display:block;margin:.75rem 0 .25rem}input[type=text],input[type=email]{width:100%;padding:.4rem;box-sizing:border-box}" +
      "button{margin:1rem .5rem 0 0;padding:.5rem 1rem}.error{color:#b91c1c}</style>" +
      `</head><body>${body}</body></html>\n`,
  };
}

/** allauth's dummy AuthenticateForm: who to be at the development provider. */
export function dummyLoginPage(
  action: string,
  values: Readonly<Record<string, string>>,
  error?: string,
): Page {
  const field = (name: string, label: string, type = "text") =>
    `<label for="${name}">${escapeHtml(label)}</label>` +
    `<input type="${type}" id="${name}" name="${name}" value="${escapeHtml(values[name] ?? "")}">`;
  const verified = values.email_verified ? " checked" : "";
  return page(
    error ? 400 : 200,
    "Dummy Provider Login",
    "<h1>Dummy Provider Login</h1>" +
      "<p>The development provider: log in as any account. Never enable it in production.</p>" +
      (error ? `<p class="error">${escapeHtml(error)}</p>` : "") +
      `<form method="post" action="${escapeHtml(action)}">` +
      field("id", "Account ID") +
      field("email", "Email", "email") +
      `<label><input type="checkbox" name="email_verified"${verified}> Email verified</label>` +
      field("username", "Username") +
      field("first_name", "First name") +
      field("last_name", "Last name") +
      '<button type="submit">Login</button>' +
      '<button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>' +
      "</form>",
  );
}

/**
 * A provider's callback reached the server without the session cookie, which a browser withholds
 * from a cross-site navigation when the cookie is SameSite=Strict (allauth `login_redirect`): the
 * page sends the browser on to the same URL from this site, with the cookie.
 */
export function sameSiteHopPage(target: string): Page {
  const url = escapeHtml(target);
  return page(
    200,
    "Signing in",
    `<p><a href="${url}">Continue</a></p>`,
    `<meta http-equiv="refresh" content="0;url=${url}">`,
  );
}
