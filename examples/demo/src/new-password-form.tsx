import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { navigate } from "./router";
import { Form, PasswordField } from "./ui";

/** The new password of a reset (by link or by code); then the login page, to log in with it. */
export function NewPasswordForm({
  reset,
  children,
}: {
  reset: (password: string) => Promise<{ status: number }>;
  children?: ComponentChildren;
}) {
  const [password, setPassword] = useState("");
  return (
    <Form
      submit={async () => {
        const answer = await reset(password);
        if (answer.status === 401 || answer.status === 200) {
          navigate("/account/login", "Your password was reset: log in with the new one.");
        }
        return answer;
      }}
      label="Set password"
    >
      {children}
      <PasswordField
        label="New password"
        value={password}
        onInput={setPassword}
        autocomplete="new-password"
      />
    </Form>
  );
}
