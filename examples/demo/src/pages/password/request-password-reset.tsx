import { useState } from "preact/hooks";
import { client } from "../../api";
import { Field, Form } from "../../ui";

/** Asks for a reset: by link (a mail with a link) or by code (a pending step, see AuthProvider). */
export function RequestPasswordReset() {
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState(false);
  if (sent) {
    return (
      <section>
        <h1>Reset your password</h1>
        <p>If {email} has an account, we mailed it a link: look in the mailbox.</p>
      </section>
    );
  }
  return (
    <section>
      <h1>Reset your password</h1>
      <Form
        submit={async () => {
          const answer = await client.requestPasswordReset({ email });
          if (answer.status === 200) setSent(true);
          return answer;
        }}
        label="Send reset instructions"
      >
        <Field label="Email" type="email" value={email} onInput={setEmail} autocomplete="email" />
      </Form>
    </section>
  );
}
