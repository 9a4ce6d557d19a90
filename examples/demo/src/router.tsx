import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";

/**
 * A minimal router over the History API: the path decides the page, links and `navigate` change
 * it without a reload, and a notice (e.g. "Password changed") is shown on the next page.
 */

const listeners = new Set<() => void>();
let notice: string | null = null;

function changed() {
  for (const listener of listeners) listener();
}
window.addEventListener("popstate", changed);

/** Goes to an app page; the notice, if any, is shown there. */
export function navigate(to: string, message?: string) {
  notice = message ?? null;
  if (to !== location.pathname + location.search) history.pushState(null, "", to);
  changed();
}

/** Shows a notice on the current page. */
export function notify(message: string) {
  notice = message;
  changed();
}

/** The current path and the notice for it; re-renders on every navigation. */
export function useLocation(): { path: string; query: URLSearchParams; notice: string | null } {
  const [, setVersion] = useState(0);
  useEffect(() => {
    const listener = () => setVersion((v) => v + 1);
    listeners.add(listener);
    return () => listeners.delete(listener);
  }, []);
  return { path: location.pathname, query: new URLSearchParams(location.search), notice };
}

/** The parameters of a path matching a pattern like "/account/verify-email/:key", or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const trimmed = (p: string) => p.replace(/\/+$/, "") || "/";
  const want = trimmed(pattern).split("/");
  const have = trimmed(path).split("/");
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    if (part.startsWith(":")) params[part.slice(1)] = decodeURIComponent(have[i]!);
    else if (part !== have[i]) return null;
  }
  return params;
}

export function Link({ href, children }: { href: string; children: ComponentChildren }) {
  return (
    <a
      href={href}
      onClick={(event) => {
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
        event.preventDefault();
        navigate(href);
      }}
    >
      {children}
    </a>
  );
}
