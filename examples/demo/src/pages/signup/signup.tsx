import { useState } from "preact/hooks";
import { client } from "../../api";
import { useAuth } from "../../auth";
import { ProviderButtons } from "../../providers";
import { Link } from "../../router";
import { Field, Form, PasswordField } from "../../ui";

/** A signup with a password; the address is then verified as the server says (link or code). */
export function Signup() {
  const { config } = useAuth();
  const [email, setEmail] = useState("");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [phone, setPhone] = useState("");
  const withPhone = config?.account.login_methods.includes("phone");
  // Passkey signup proves the address by a mailed code.
  const withPasskey =
    config?.mfa?.supported_types.includes("webauthn") && config.account.email_verification_by_code_enabled;
  return (
    <section>
      <h1>Sign up</h1>
      <Form
        submit={() => client.signup({ email, username, password, ...(phone ? { phone } : {}) })}
        label="Sign up"
      >
        <Field label="Email" type="email" value={email} onInput={setEmail} autocomplete="email" />
        <Field label="Username" value={username} onInput={setUsername} autocomplete="username" />
        <PasswordField label="Password" value={password} onInput={setPassword} autocomplete="new-password" />
        {withPhone && (
          <Field
            label="Phone (optional, with country code)"
            type="tel"
            value={phone}
            onInput={setPhone}
            autocomplete="tel"
            required={false}
          />
        )}
      </Form>
      <p>
        Already have an account? <Link href="/account/login">Log in</Link>
        {withPasskey && (
          <>
            {" · "}
            <Link href="/account/signup/passkey">Sign up with a passkey</Link>
          </>
        )}
      </p>
      <ProviderButtons process="login" />
    </section>
  );
}
