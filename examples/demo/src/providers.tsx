import { client } from "./api";
import { useAuth } from "./auth";

/** Where a provider sends the browser back to, per process. */
const CALLBACKS = { login: "/account/provider/callback", connect: "/account/providers" };

/**
 * A button per provider that logs in by redirect: the browser posts a form to Latchkey, which
 * sends it to the provider, which sends it back to the callback page.
 */
export function ProviderButtons({ process }: { process: "login" | "connect" }) {
  const { config } = useAuth();
  const providers = (config?.socialaccount?.providers ?? []).filter((p) =>
    (p.flows as readonly string[]).includes("provider_redirect"),
  );
  if (providers.length === 0) return null;
  return (
    <div class="providers">
      {providers.map((p) => (
        <button
          type="button"
          key={p.id}
          onClick={() =>
            client.redirectToProvider({ provider: p.id, callback_url: CALLBACKS[process], process })
          }
        >
          {process === "login" ? `Continue with ${p.name}` : `Connect ${p.name}`}
        </button>
      ))}
    </div>
  );
}

/** What the `error` parameter of a provider's return means. */
export function providerError(query: URLSearchParams): string | null {
  const error = query.get("error");
  if (error === null) return null;
  return error === "cancelled"
    ? "You cancelled the login at the provider."
    : `The provider login failed (${error}).`;
}
