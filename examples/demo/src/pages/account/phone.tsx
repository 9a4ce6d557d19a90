import type { PhoneNumber } from "latchkey/client";
import { useEffect, useState } from "preact/hooks";
import { client } from "../../api";
import { notify } from "../../router";
import { CodeField, Field, Form } from "../../ui";

/** The user's number: a new one is texted a code, and replaces the old one once verified. */
export function Phone() {
  const [numbers, setNumbers] = useState<PhoneNumber[]>([]);
  const [phone, setPhone] = useState("");
  const [code, setCode] = useState("");
  const [changing, setChanging] = useState<string | null>(null);
  const refresh = async () => {
    const answer = await client.getPhone();
    if (answer.status === 200) setNumbers(answer.data);
  };
  useEffect(() => {
    refresh();
  }, []);
  return (
    <section>
      <h1>Phone number</h1>
      {numbers.length === 0 ? (
        <p>No phone number yet.</p>
      ) : (
        numbers.map((n) => (
          <p key={n.phone}>
            {n.phone}{" "}
            <span class={n.verified ? "badge ok" : "badge"}>{n.verified ? "verified" : "unverified"}</span>
          </p>
        ))
      )}
      {changing ? (
        <Form
          submit={async () => {
            const answer = await client.verifyPhone({ code });
            if (answer.status === 200) {
              await refresh();
              setChanging(null);
              setPhone("");
              setCode("");
              notify(`${changing} is verified.`);
            }
            return answer;
          }}
          label="Verify"
        >
          <CodeField label={`Code texted to ${changing}`} value={code} onInput={setCode} />
        </Form>
      ) : (
        <Form
          submit={async () => {
            const answer = await client.changePhone({ phone });
            if (answer.status === 202) setChanging(answer.data[0]?.phone ?? phone);
            return answer;
          }}
          label="Change number"
        >
          <Field label="New number (with country code)" type="tel" value={phone} onInput={setPhone} />
        </Form>
      )}
    </section>
  );
}
