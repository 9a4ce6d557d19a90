import { useState } from "preact/hooks";
import { client } from "../../api";
import { useAuth } from "../../auth";
import { Link } from "../../router";
import { CodeField, Form } from "../../ui";

/** A signup (or login) waits for the address to be verified: by the mailed link, or by code. */
export function VerifyEmail() {
  const { config } = useAuth();
  const [code, setCode] = useState("");
  if (!config?.account.email_verification_by_code_enabled) {
    return (
      <section>
        <h1>Verify your email address</h1>
        <p>
          We sent you a link: open it from the <Link href="/mailbox">mailbox</Link> to continue.
        </p>
      </section>
    );
  }
  return (
    <section>
      <h1>Verify your email address</h1>
      <p>We mailed you a code: look in the mailbox.</p>
      <Form submit={() => client.verifyEmail({ key: code })} label="Verify">
        <CodeField label="Code" value={code} onInput={setCode} />
      </Form>
      <Form submit={() => client.resendEmailVerification()} label="Send a new code" />
    </section>
  );
}
