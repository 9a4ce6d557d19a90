import { useState } from "preact/hooks";
import { client } from "../../api";
import { NewPasswordForm } from "../../new-password-form";
import { CodeField } from "../../ui";

/** Code mode: the mailed code and the new password. */
export function ResetPasswordByCode() {
  const [code, setCode] = useState("");
  return (
    <section>
      <h1>Choose a new password</h1>
      <p>We mailed you a code: look in the mailbox.</p>
      <NewPasswordForm reset={(password) => client.resetPassword({ key: code, password })}>
        <CodeField label="Code" value={code} onInput={setCode} />
      </NewPasswordForm>
    </section>
  );
}
