import { useEffect, useState } from "preact/hooks";
import { client, when } from "../../api";
import { useGuard } from "../../reauth";
import { navigate } from "../../router";
import { CodeField, Form } from "../../ui";

type TotpSetup = { secret: string; totp_url: string; qr_code_svg?: string };

/** TOTP: scan the QR code (or type the secret) into an authenticator app, confirm with a code. */
export function Totp() {
  const guard = useGuard();
  const [active, setActive] = useState<{ created_at: number } | null>(null);
  const [setup, setSetup] = useState<TotpSetup | null>(null);
  const [code, setCode] = useState("");
  const load = async () => {
    const answer = await client.getTotp();
    if (answer.status === 200) setActive(answer.data);
    else if (answer.status === 404) {
      setActive(null);
      setSetup(answer.meta);
    }
  };
  useEffect(() => {
    load();
  }, []);

  if (active) {
    return (
      <section>
        <h1>Authenticator app</h1>
        <p>Active since {when(active.created_at)}.</p>
        <Form
          submit={async () => {
            const answer = await guard(() => client.deactivateTotp());
            if (answer.status === 200) navigate("/account/mfa", "The authenticator app was removed.");
            return answer;
          }}
          label="Deactivate"
        />
      </section>
    );
  }
  return (
    <section>
      <h1>Set up an authenticator app</h1>
      {setup && (
        <>
          <p>Scan this code with your authenticator app, or enter the secret.</p>
          {setup.qr_code_svg && (
            <img
              class="qr"
              alt="QR code of the authenticator secret"
              src={`data:image/svg+xml;base64,${btoa(setup.qr_code_svg)}`}
            />
          )}
          <p>
            Secret: <code data-secret>{setup.secret}</code>
          </p>
          <Form
            submit={async () => {
              const answer = await guard(() => client.activateTotp({ code }));
              if (answer.status === 200) {
                navigate(
                  "/account/mfa/recovery-codes",
                  "The authenticator app is on. Keep these recovery codes.",
                );
              }
              return answer;
            }}
            label="Activate"
          >
            <CodeField label="Code from the app" value={code} onInput={setCode} />
          </Form>
        </>
      )}
    </section>
  );
}
