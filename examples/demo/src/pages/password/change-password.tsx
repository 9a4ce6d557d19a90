import { useState } from "preact/hooks";
import { client } from "../../api";
import { useAuth } from "../../auth";
import { navigate } from "../../router";
import { Form, PasswordField } from "../../ui";

/** Change the password, or set one for an account made without (by a provider or a passkey). */
export function ChangePassword() {
  const { state } = useAuth();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  // Accounts made by a provider or a passkey have no password yet: they set one.
  const hasPassword = state?.status === "authenticated" && state.user.has_usable_password;
  return (
    <section>
      <h1>{hasPassword ? "Change your password" : "Set a password"}</h1>
      <Form
        submit={async () => {
          const answer = await client.changePassword(
            hasPassword ? { current_password: current, new_password: next } : { new_password: next },
          );
          if (answer.status === 200) navigate("/", "Your password was changed.");
          return answer;
        }}
        label={hasPassword ? "Change password" : "Set password"}
      >
        {hasPassword && <PasswordField label="Current password" value={current} onInput={setCurrent} />}
        <PasswordField label="New password" value={next} onInput={setNext} autocomplete="new-password" />
      </Form>
    </section>
  );
}
