import { useEffect, useState } from "preact/hooks";
import { client } from "../../api";
import { NewPasswordForm } from "../../new-password-form";

/** The page a mailed reset link opens. */
export function ResetPasswordFromKey({ resetKey }: { resetKey: string }) {
  const [user, setUser] = useState<string | null>(null);
  const [invalid, setInvalid] = useState(false);
  useEffect(() => {
    client.getPasswordReset(resetKey).then((answer) => {
      if (answer.status === 200) setUser(answer.data.user.display);
      else setInvalid(true);
    });
  }, [resetKey]);
  return (
    <section>
      <h1>Choose a new password</h1>
      {invalid ? (
        <p>This link is invalid or has expired.</p>
      ) : (
        <>
          <p>For {user ?? "…"}.</p>
          <NewPasswordForm reset={(password) => client.resetPassword({ key: resetKey, password })} />
        </>
      )}
    </section>
  );
}
