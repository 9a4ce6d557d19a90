import type { Context } from "../base/context.js";

/**
 * allauth's `is_safe_url` for a redirect flow's callback_url: relative, or on the API's own host,
 * or on the host of a trusted origin (csrf.trustedOrigins, cors.allowedOrigins). Checked the way
 * Django's `url_has_allowed_host_and_scheme` reads the URL, and again the way a browser resolves
 * it, so that no spelling both readings disagree on (backslashes, tabs, control characters,
 * scheme-relative or credential-laden URLs) leads anywhere else: no open redirect.
 */
export function isSafeUrl(ctx: Context, url: string): boolean {
  const base = new URL(ctx.request.url);
  const o = ctx.options;
  const allowed = new Set([
    base.host,
    ...[...o.csrf.trustedOrigins, ...o.cors.allowedOrigins].map((x) => new URL(x).host),
  ]);
  return (
    djangoSafe(url, allowed) &&
    djangoSafe(url.replace(/\\/g, "/"), allowed) &&
    browserSafe(url, base, allowed)
  );
}

/** Python's urlsplit: the scheme and network location of a URL (what Django's check looks at). */
function split(url: string): { scheme: string; netloc: string } {
  // Python drops these wherever they are before parsing.
  let rest = url.replace(/[\t\r\n]/g, "");
  let scheme = "";
  const colon = rest.indexOf(":");
  if (colon > 0 && /^[A-Za-z][A-Za-z0-9+.-]*$/.test(rest.slice(0, colon))) {
    scheme = rest.slice(0, colon).toLowerCase();
    rest = rest.slice(colon + 1);
  }
  let netloc = "";
  if (rest.startsWith("//")) {
    const end = rest.slice(2).search(/[/?#]/);
    netloc = end === -1 ? rest.slice(2) : rest.slice(2, 2 + end);
  }
  return { scheme, netloc };
}

function djangoSafe(raw: string, allowed: ReadonlySet<string>): boolean {
  const url = raw.trim();
  if (url === "" || url.startsWith("///")) return false;
  const { scheme, netloc } = split(url);
  // A scheme without a host ("http:///evil.example", "javascript:…") is not a web URL here.
  if (netloc === "" && scheme !== "") return false;
  // Browsers skip control characters at the start and may then read a scheme-relative URL.
  if (/^\p{C}/u.test(url)) return false;
  const effective = scheme || (netloc ? "http" : "");
  return (
    (netloc === "" || allowed.has(netloc)) &&
    (effective === "" || effective === "http" || effective === "https")
  );
}

function browserSafe(url: string, base: URL, allowed: ReadonlySet<string>): boolean {
  let resolved: URL;
  try {
    resolved = new URL(url, base);
  } catch {
    return false;
  }
  return (resolved.protocol === "http:" || resolved.protocol === "https:") && allowed.has(resolved.host);
}
