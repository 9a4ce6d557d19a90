import { useState } from "preact/hooks";
import { client } from "../../api";
import { CodeField, Form } from "../../ui";

/** A login by code waits for the code that was mailed (or texted). */
export function ConfirmLoginCode() {
  const [code, setCode] = useState("");
  return (
    <section>
      <h1>Enter your login code</h1>
      <p>We sent a code: look in the mailbox.</p>
      <Form submit={() => client.confirmLoginCode({ code })} label="Log in">
        <CodeField label="Code" value={code} onInput={setCode} />
      </Form>
      <Form submit={() => client.resendLoginCode()} label="Send a new code" />
    </section>
  );
}
