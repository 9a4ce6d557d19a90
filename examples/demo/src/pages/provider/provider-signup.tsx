import { useEffect, useState } from "preact/hooks";
import { client } from "../../api";
import { Field, Form } from "../../ui";

/** The provider gave too little (or an address already taken): the user completes the signup. */
export function ProviderSignup() {
  const [provider, setProvider] = useState("");
  const [email, setEmail] = useState("");
  const [username, setUsername] = useState("");
  useEffect(() => {
    client.getProviderSignup().then((answer) => {
      if (answer.status !== 200) return;
      setProvider(answer.data.account.provider.name);
      setEmail(answer.data.email[0]?.email ?? answer.data.user.email ?? "");
      setUsername(answer.data.user.username ?? "");
    });
  }, []);
  return (
    <section>
      <h1>Complete your signup</h1>
      <p>You are signing up with {provider || "a provider"}. A few more details:</p>
      <Form submit={() => client.providerSignup({ email, username })} label="Sign up">
        <Field label="Email" type="email" value={email} onInput={setEmail} autocomplete="email" />
        <Field label="Username" value={username} onInput={setUsername} autocomplete="username" />
      </Form>
    </section>
  );
}
