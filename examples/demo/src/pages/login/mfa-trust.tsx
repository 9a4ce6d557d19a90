import { client } from "../../api";
import { Form } from "../../ui";

/** After the second factor: skip it on this browser for a while. */
export function MfaTrust() {
  return (
    <section>
      <h1>Trust this browser?</h1>
      <p>Logins from this browser will not ask for the second factor for a while.</p>
      <div class="row">
        <Form submit={() => client.mfaTrust({ trust: true })} label="Trust this browser" />
        <Form submit={() => client.mfaTrust({ trust: false })} label="Not now" />
      </div>
    </section>
  );
}
