import { createWebAuthnCredential, type WebAuthnAuthenticator } from "latchkey/client";
import { useState } from "preact/hooks";
import { client, when } from "../../api";
import { useAuthenticators } from "../../authenticators";
import { useGuard } from "../../reauth";
import { notify } from "../../router";
import { Field, Form } from "../../ui";

/** Security keys (a second factor) and passkeys (which log in on their own): add, rename, remove. */
export function SecurityKeys() {
  const guard = useGuard();
  const [authenticators, refresh] = useAuthenticators();
  const keys = authenticators.filter((a): a is WebAuthnAuthenticator => a.type === "webauthn");
  const [name, setName] = useState("");
  const [passkey, setPasskey] = useState(true);
  return (
    <section>
      <h1>Security keys and passkeys</h1>
      <table>
        <tbody>
          {keys.map((key) => (
            <KeyRow key={key.id} authenticator={key} refresh={refresh} />
          ))}
        </tbody>
      </table>
      <h2>Add one</h2>
      <Form
        submit={async () => {
          const options = await guard(() => client.getWebAuthnCreationOptions(passkey));
          if (options.status !== 200) return options;
          const credential = await createWebAuthnCredential(options.data);
          const answer = await guard(() => client.addWebAuthnCredential({ name, credential }));
          if (answer.status === 200) {
            await refresh();
            setName("");
            notify(
              answer.meta.recovery_codes_generated
                ? `${answer.data.name} was added, and recovery codes were made: see Two-factor.`
                : `${answer.data.name} was added.`,
            );
          }
          return answer;
        }}
        label="Add"
      >
        <Field label="Name" value={name} onInput={setName} />
        <label class="check">
          <input type="checkbox" checked={passkey} onChange={(e) => setPasskey(e.currentTarget.checked)} />
          Passkey: log in with it alone, without a password
        </label>
      </Form>
    </section>
  );
}

function KeyRow({
  authenticator,
  refresh,
}: {
  authenticator: WebAuthnAuthenticator;
  refresh: () => Promise<void>;
}) {
  const guard = useGuard();
  const [name, setName] = useState(authenticator.name);
  const done = async <T extends { status: number }>(answer: T) => {
    if (answer.status === 200) await refresh();
    return answer;
  };
  return (
    <tr>
      <td>
        <Form
          submit={async () =>
            done(await guard(() => client.renameWebAuthnCredential({ id: authenticator.id, name })))
          }
          label="Rename"
        >
          <Field label={`Name of ${authenticator.name}`} value={name} onInput={setName} />
        </Form>
      </td>
      <td>{authenticator.is_passwordless ? "passkey" : "security key"}</td>
      <td>last used {when(authenticator.last_used_at)}</td>
      <td>
        <Form
          submit={async () =>
            done(await guard(() => client.deleteWebAuthnCredentials({ authenticators: [authenticator.id] })))
          }
          label="Remove"
        />
      </td>
    </tr>
  );
}
