import { useEffect, useState } from "preact/hooks";
import { client } from "../../api";
import { useGuard } from "../../reauth";
import { notify } from "../../router";
import { Form } from "../../ui";

/** The unused recovery codes (shown after a recent login), and new ones on request. */
export function RecoveryCodes() {
  const guard = useGuard();
  const [codes, setCodes] = useState<string[] | null>(null);
  const show = (answer: Awaited<ReturnType<typeof client.getRecoveryCodes>>) => {
    if (answer.status === 200) setCodes(answer.data.unused_codes ?? []);
    return answer;
  };
  useEffect(() => {
    guard(() => client.getRecoveryCodes()).then(show);
  }, []);
  return (
    <section>
      <h1>Recovery codes</h1>
      <p>Each code logs you in once when your other authenticators are not at hand.</p>
      {codes && (
        <ul class="codes">
          {codes.map((c) => (
            <li key={c}>
              <code>{c}</code>
            </li>
          ))}
        </ul>
      )}
      <Form
        submit={async () => {
          const answer = show(await guard(() => client.regenerateRecoveryCodes()));
          if (answer.status === 200) notify("New recovery codes: the old ones no longer work.");
          return answer;
        }}
        label="Generate new codes"
      />
    </section>
  );
}
