import type { ConfigurationResponse } from "latchkey";
import type { AuthState } from "latchkey/client";
import { type ComponentChildren, createContext } from "preact";
import { useContext, useEffect, useState } from "preact/hooks";
import { client, pageAfter } from "./api";
import { navigate } from "./router";

export type Config = ConfigurationResponse["data"];

interface Auth {
  /** The server's /config: which login methods, providers and authenticators exist. */
  config: Config | null;
  /** What the last answer told: anonymous, pending (a login waiting for a step) or authenticated. */
  state: AuthState | null;
}

const AuthContext = createContext<Auth>({ config: null, state: null });

/**
 * Loads the configuration and the session once, then follows every answer that tells the
 * authentication state (the client reports them all): a login waiting for a step goes to that
 * step's page, a completed login to the home page, a logout to the login page.
 */
export function AuthProvider({ children }: { children: ComponentChildren }) {
  const [auth, setAuth] = useState<Auth>({ config: null, state: null });
  useEffect(() => {
    let previous: AuthState | null = null;
    const stop = client.onAuthChange((state) => {
      const page = pageAfter(previous, state);
      previous = state;
      setAuth((current) => ({ ...current, state }));
      if (page) navigate(page);
    });
    client.getConfig().then((answer) => {
      if (answer.status === 200) setAuth((current) => ({ ...current, config: answer.data }));
    });
    client.getSession();
    return stop;
  }, []);
  return <AuthContext.Provider value={auth}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  return useContext(AuthContext);
}
