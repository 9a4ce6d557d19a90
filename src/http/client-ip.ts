export interface ClientIpOptions {
  trustedProxyCount: number;
  trustedClientIpHeader: string | null;
}

/**
 * The client's address: the socket's peer unless proxies are trusted (allauth's
 * ALLAUTH_TRUSTED_PROXY_COUNT / ALLAUTH_TRUSTED_CLIENT_IP_HEADER). X-Forwarded-For is never
 * trusted by default: anyone can send it.
 */
export function clientIp(
  headers: { get(name: string): string | null },
  remoteAddress: string | undefined,
  o: ClientIpOptions,
): string {
  const socketIp = normalize(remoteAddress ?? "") || "unknown";
  if (o.trustedClientIpHeader) {
    const value = headers.get(o.trustedClientIpHeader)?.trim();
    if (value) return normalize(value);
  }
  if (o.trustedProxyCount > 0) {
    const forwarded = headers.get("x-forwarded-for");
    if (forwarded) {
      const hops = forwarded
        .split(",")
        .map((h) => h.trim())
        .filter(Boolean);
      // Each trusted proxy appends the address it saw; the client is the one the outermost trusted proxy saw.
      const index = hops.length - o.trustedProxyCount;
      const candidate = hops[Math.max(index, 0)];
      if (candidate) return normalize(candidate);
    }
  }
  return socketIp;
}

function normalize(ip: string): string {
  return ip.startsWith("::ffff:") ? ip.slice(7) : ip;
}
