import { getWebAuthnCredential } from "latchkey/client";
import { useState } from "preact/hooks";
import { client } from "../../api";
import { useAuth } from "../../auth";
import { CodeField, Form } from "../../ui";

/** The second factor of a login: an authenticator app's code, a recovery code, or a security key. */
export function MfaAuthenticate() {
  const { state } = useAuth();
  const [code, setCode] = useState("");
  const types = state?.status === "pending" && state.flow.id === "mfa_authenticate" ? state.flow.types : [];
  return (
    <section>
      <h1>Two-factor authentication</h1>
      {(types.includes("totp") || types.includes("recovery_codes")) && (
        <Form submit={() => client.mfaAuthenticate({ code })} label="Verify">
          <CodeField label="Authenticator or recovery code" value={code} onInput={setCode} />
        </Form>
      )}
      {types.includes("webauthn") && (
        <Form
          submit={async () => {
            const options = await client.getWebAuthnAuthenticateOptions();
            if (options.status !== 200) return options;
            const credential = await getWebAuthnCredential(options.data);
            return client.authenticateWithWebAuthn({ credential });
          }}
          label="Use a security key"
        />
      )}
    </section>
  );
}
