import { getWebAuthnCredential } from "latchkey/client";
import { useState } from "preact/hooks";
import { client } from "../../api";
import { useAuth } from "../../auth";
import { ProviderButtons } from "../../providers";
import { Link } from "../../router";
import { Field, Form, PasswordField } from "../../ui";

/** The login field as the server takes it: an address, a phone number (+…) or a username. */
function identifier(login: string): { email: string } | { phone: string } | { username: string } {
  if (login.includes("@")) return { email: login };
  if (login.startsWith("+")) return { phone: login };
  return { username: login };
}

/** Login by password, with the ways to log in without one: a code, a passkey, a provider. */
export function Login() {
  const { config } = useAuth();
  const [login, setLogin] = useState("");
  const [password, setPassword] = useState("");
  return (
    <section>
      <h1>Log in</h1>
      <Form submit={() => client.login({ ...identifier(login), password })} label="Log in">
        <Field label="Email, username or phone" value={login} onInput={setLogin} autocomplete="username" />
        <PasswordField label="Password" value={password} onInput={setPassword} />
      </Form>
      <p>
        <Link href="/account/password/reset">Forgot your password?</Link>
        {config?.account.login_by_code_enabled && (
          <>
            {" · "}
            <Link href="/account/login/code">Send me a login code</Link>
          </>
        )}
        {" · "}
        <Link href="/account/signup">Sign up</Link>
      </p>
      {config?.mfa?.passkey_login_enabled && (
        <Form
          submit={async () => {
            const options = await client.getWebAuthnLoginOptions();
            if (options.status !== 200) return options;
            const credential = await getWebAuthnCredential(options.data);
            return client.loginWithWebAuthn({ credential });
          }}
          label="Log in with a passkey"
        />
      )}
      <ProviderButtons process="login" />
    </section>
  );
}
