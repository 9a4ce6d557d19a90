import type { EmailAddress } from "latchkey";
import { useEffect, useState } from "preact/hooks";
import { client } from "../../api";
import { useAuth } from "../../auth";
import { notify } from "../../router";
import { CodeField, Field, Form } from "../../ui";

/** The user's addresses: add one (verified by link or by code), resend, make primary, remove. */
export function EmailAddresses() {
  const { config } = useAuth();
  const [addresses, setAddresses] = useState<EmailAddress[]>([]);
  const [email, setEmail] = useState("");
  const [code, setCode] = useState("");
  const byCode = config?.account.email_verification_by_code_enabled;
  // Code mode: an added address waits in the session for its code.
  const waiting = byCode ? addresses.find((a) => !a.verified) : undefined;

  const refresh = async () => {
    const answer = await client.listEmails();
    if (answer.status === 200) setAddresses(answer.data);
  };
  /** After a change: the list as it is now, and what happened. */
  const update = async <T extends { status: number }>(answer: T, message?: string) => {
    if (answer.status === 200) {
      await refresh();
      if (message) notify(message);
    }
    return answer;
  };
  useEffect(() => {
    refresh();
  }, []);

  return (
    <section>
      <h1>Email addresses</h1>
      <table>
        <tbody>
          {addresses.map((a) => (
            <tr key={a.email}>
              <td>{a.email}</td>
              <td>
                {a.primary && <span class="badge">primary</span>}
                <span class={a.verified ? "badge ok" : "badge"}>
                  {a.verified ? "verified" : "unverified"}
                </span>
              </td>
              <td>
                <div class="actions">
                  {a.verified && !a.primary && (
                    <Form
                      submit={async () => update(await client.markEmailPrimary({ email: a.email }))}
                      label="Make primary"
                    />
                  )}
                  {!a.verified && !byCode && (
                    <Form
                      submit={async () =>
                        update(
                          await client.requestEmailVerification({ email: a.email }),
                          `We mailed a new link to ${a.email}.`,
                        )
                      }
                      label="Resend link"
                    />
                  )}
                  {!a.primary && (
                    <Form
                      submit={async () => update(await client.removeEmail({ email: a.email }))}
                      label="Remove"
                    />
                  )}
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {waiting ? (
        <>
          <h2>Verify {waiting.email}</h2>
          <Form
            submit={async () =>
              update(await client.verifyEmail({ key: code }), `${waiting.email} is verified.`)
            }
            label="Verify"
          >
            <CodeField label="Code" value={code} onInput={setCode} />
          </Form>
        </>
      ) : (
        <>
          <h2>Add an address</h2>
          <Form
            submit={async () => {
              const answer = await update(
                await client.addEmail({ email }),
                `We mailed ${byCode ? "a code" : "a link"} to ${email}.`,
              );
              if (answer.status === 200) setEmail("");
              return answer;
            }}
            label="Add"
          >
            <Field label="New address" type="email" value={email} onInput={setEmail} autocomplete="email" />
          </Form>
        </>
      )}
    </section>
  );
}
