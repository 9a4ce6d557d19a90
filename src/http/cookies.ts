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
    out += `; Expires=${new Date(Date.now() + a.maxAge * 1000).toUTCString()}`;
  }
  if (a.domain) out += `; Domain=${a.domain}`;
  out += `; Path=${a.path ?? "/"}`;
  if (a.secure) out += "; Secure";
  if (a.httpOnly) out += "; HttpOnly";
  if (a.sameSite) out += `; SameSite=${a.sameSite}`;
  return out;
}
