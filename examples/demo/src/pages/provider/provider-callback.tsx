import { useEffect } from "preact/hooks";
import { FLOW_PAGES } from "../../api";
import { useAuth } from "../../auth";
import { providerError } from "../../providers";
import { Link, navigate, useLocation } from "../../router";

/** The page a provider sends the browser back to after a login: the session tells what is next. */
export function ProviderCallback() {
  const { state } = useAuth();
  const { query } = useLocation();
  const error = providerError(query);
  useEffect(() => {
    if (error || !state) return;
    if (state.status === "authenticated") navigate("/");
    else if (state.status === "pending") navigate(FLOW_PAGES[state.flow.id] ?? "/");
  }, [state, error]);
  return (
    <section>
      <h1>Logging in…</h1>
      {error && (
        <p class="errors">
          {error} <Link href="/account/login">Back to the login</Link>
        </p>
      )}
      {!error && state?.status === "anonymous" && (
        <p>
          The login did not complete. <Link href="/account/login">Back to the login</Link>
        </p>
      )}
    </section>
  );
}
