import { authState } from "latchkey/client";
import { useEffect, useState } from "preact/hooks";
import { client } from "../../api";
import { useAuth } from "../../auth";
import { navigate } from "../../router";
import { Form } from "../../ui";

/** The page a mailed verification link opens. */
export function VerifyEmailFromKey({ verificationKey }: { verificationKey: string }) {
  const { state } = useAuth();
  const [email, setEmail] = useState<string | null>(null);
  const [invalid, setInvalid] = useState(false);
  useEffect(() => {
    client.getEmailVerification(verificationKey).then((answer) => {
      if (answer.status === 200) setEmail(answer.data.email);
      else setInvalid(true);
    });
  }, [verificationKey]);
  if (invalid) {
    return (
      <section>
        <h1>Verify your email address</h1>
        <p>This link is invalid or has expired.</p>
      </section>
    );
  }
  const loggedIn = state?.status === "authenticated";
  return (
    <section>
      <h1>Verify your email address</h1>
      <p>
        Confirm that <strong>{email ?? "…"}</strong> is your address.
      </p>
      <Form
        submit={async () => {
          const answer = await client.verifyEmail({ key: verificationKey });
          // A login waiting for the address in this browser has gone on (AuthProvider follows it).
          if (loggedIn && answer.status === 200) navigate("/account/email", `${email} is verified.`);
          else if (authState(answer)?.status === "anonymous") {
            navigate("/account/login", `${email} is verified: log in.`);
          }
          return answer;
        }}
        label="Confirm"
      />
    </section>
  );
}
