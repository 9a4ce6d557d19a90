import { useState } from "preact/hooks";
import { client } from "../../api";
import { Field, Form } from "../../ui";

/** Login by code: a code mailed to the address (or texted to the number). */
export function LoginByCode() {
  const [login, setLogin] = useState("");
  return (
    <section>
      <h1>Log in with a code</h1>
      <Form
        submit={() => client.requestLoginCode(login.startsWith("+") ? { phone: login } : { email: login })}
        label="Send me a code"
      >
        <Field label="Email or phone" value={login} onInput={setLogin} autocomplete="username" />
      </Form>
    </section>
  );
}
