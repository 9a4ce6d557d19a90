import { createWebAuthnCredential } from "latchkey/client";
import { useState } from "preact/hooks";
import { client } from "../../api";
import { Field, Form } from "../../ui";

/** The last step of a passkey signup: the browser creates the passkey the account logs in with. */
export function CreatePasskey() {
  const [name, setName] = useState("Passkey");
  return (
    <section>
      <h1>Create your passkey</h1>
      <Form
        submit={async () => {
          const options = await client.getPasskeySignupOptions();
          if (options.status !== 200) return options;
          const credential = await createWebAuthnCredential(options.data);
          return client.completePasskeySignup({ name, credential });
        }}
        label="Create passkey"
      >
        <Field label="Passkey name" value={name} onInput={setName} />
      </Form>
    </section>
  );
}
