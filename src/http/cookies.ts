/** Reads a Cookie header into name → value (first occurrence wins, as browsers send the most specific first). */
export function parseCookies(header: string | null): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1) continue;
    const name = part.slice(0, eq).trim();
    if (!name || cookies.has(name)) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      cookies.set(name, decodeURIComponent(value));
    } catch {
      cookies.set(name, value);
    }
  }
  return cookies;
}

export interface CookieAttributes {
  maxAge?: number;
  domain?: string | null;
  path?: string;
  secure?: boolean;
  httpOnly?: boolean;
  sameSite?: "Lax" | "Strict" | "None";
}

export function serializeCookie(name: string, value: string, a: CookieAttributes): string {
  let out = `${name}=${encodeURIComponent(value)}`;
  if (a.maxAge !== undefined) {
    out += `; Max-Age=${a.maxAge}`;
    out += `; Expires=${expiresIn(a.maxAge)}`;
  }
  if (a.domain) out += `; Domain=${a.domain}`;
  out += `; Path=${a.path ?? "/"}`;
  if (a.secure) out += "; Secure";
  if (a.httpOnly) out += "; HttpOnly";
  if (a.sameSite) out += `; SameSite=${a.sameSite}`;
  return out;
}

/** The last Expires computed: the CSRF cookie, set on every browser answer, asks for the same one all second. */
let lastExpires = { second: -1, maxAge: -1, value: "" };

/** The HTTP date `maxAge` seconds from now. */
function expiresIn(maxAge: number): string {
  const second = Math.floor(Date.now() / 1000);
  if (lastExpires.second !== second || lastExpires.maxAge !== maxAge) {
    lastExpires = { second, maxAge, value: new Date((second + maxAge) * 1000).toUTCString() };
  }
  return lastExpires.value;
}
