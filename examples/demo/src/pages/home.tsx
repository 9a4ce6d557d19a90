import { client, FLOW_PAGES, when } from "../api";
import { useAuth } from "../auth";
import { Link } from "../router";

/** How the user logged in, from an entry of the session's `methods`. */
function describe(method: {
  method: string;
  type?: string;
  provider?: string;
  email?: string;
  phone?: string;
}) {
  if (method.method === "mfa") return `two-factor: ${method.type}`;
  if (method.method === "socialaccount") return `provider: ${method.provider}`;
  const by = method.email ?? method.phone;
  return by ? `${method.method} (${by})` : method.method;
}

/** Who is logged in and how; or the way on for a login waiting for a step; or a welcome. */
export function Home() {
  const { state } = useAuth();
  if (state?.status === "pending") {
    return (
      <section>
        <h1>Almost there</h1>
        <p>
          A login is waiting for a step: <code>{state.flow.id}</code>.
        </p>
        <p>
          <Link href={FLOW_PAGES[state.flow.id] ?? "/account/login"}>Continue</Link> or{" "}
          <button type="button" class="link" onClick={() => client.logout()}>
            start again
          </button>
          .
        </p>
      </section>
    );
  }
  if (state?.status !== "authenticated" && state?.status !== "reauthentication_required") {
    return (
      <section>
        <h1>Welcome</h1>
        <p>You are not logged in.</p>
        <p>
          <Link href="/account/login">Log in</Link> or <Link href="/account/signup">sign up</Link>. Mail and
          texts the server sends appear in the <Link href="/mailbox">mailbox</Link>.
        </p>
      </section>
    );
  }
  const { user, methods } = state;
  return (
    <section>
      <h1>Hello, {user.display}</h1>
      <dl>
        <dt>Username</dt>
        <dd>{user.username ?? "—"}</dd>
        <dt>Email</dt>
        <dd>{user.email ?? "—"}</dd>
        <dt>Password</dt>
        <dd>{user.has_usable_password ? "set" : "none (log in with a code, a passkey or a provider)"}</dd>
      </dl>
      <h2>How you logged in</h2>
      {methods.length === 0 ? (
        <p>This session began with your signup.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Method</th>
              <th>When</th>
            </tr>
          </thead>
          <tbody>
            {methods.map((m) => (
              <tr key={`${m.method}${m.at}`}>
                <td>{describe(m)}</td>
                <td>{when(m.at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
