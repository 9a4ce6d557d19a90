import { useState } from "preact/hooks";
import { client } from "../../api";
import { Field, Form } from "../../ui";

/** A signup without a password: the address is verified by code, then a passkey is created. */
export function PasskeySignup() {
  const [email, setEmail] = useState("");
  const [username, setUsername] = useState("");
  return (
    <section>
      <h1>Sign up with a passkey</h1>
      <Form submit={() => client.signupWithPasskey({ email, username })} label="Continue">
        <Field label="Email" type="email" value={email} onInput={setEmail} autocomplete="email" />
        <Field label="Username" value={username} onInput={setUsername} autocomplete="username" />
      </Form>
    </section>
  );
}
