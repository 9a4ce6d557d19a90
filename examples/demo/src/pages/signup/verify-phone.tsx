import { useState } from "preact/hooks";
import { client } from "../../api";
import { CodeField, Form } from "../../ui";

/** A signup (or login) waits for the phone number to be verified by the texted code. */
export function VerifyPhone() {
  const [code, setCode] = useState("");
  return (
    <section>
      <h1>Verify your phone number</h1>
      <p>We texted you a code: look in the mailbox.</p>
      <Form submit={() => client.verifyPhone({ code })} label="Verify">
        <CodeField label="Code" value={code} onInput={setCode} />
      </Form>
      <Form submit={() => client.resendPhoneVerification()} label="Send a new code" />
    </section>
  );
}
