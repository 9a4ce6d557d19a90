import type { ProviderAccountInfo } from "latchkey/client";
import { useEffect, useState } from "preact/hooks";
import { client } from "../../api";
import { ProviderButtons, providerError } from "../../providers";
import { notify, useLocation } from "../../router";
import { Form } from "../../ui";

/** The provider accounts that log in to this account: connect another, disconnect one. */
export function ConnectedAccounts() {
  const { query } = useLocation();
  const [accounts, setAccounts] = useState<ProviderAccountInfo[]>([]);
  const error = providerError(query);
  useEffect(() => {
    client.listProviderAccounts().then((answer) => {
      if (answer.status === 200) setAccounts(answer.data);
    });
  }, []);
  return (
    <section>
      <h1>Connected accounts</h1>
      {error && <p class="errors">{error}</p>}
      {accounts.length === 0 ? (
        <p>No provider account is connected.</p>
      ) : (
        <table>
          <tbody>
            {accounts.map((a) => (
              <tr key={`${a.provider.id}:${a.uid}`}>
                <td>{a.provider.name}</td>
                <td>{a.display}</td>
                <td>
                  <Form
                    submit={async () => {
                      const answer = await client.disconnectProviderAccount({
                        provider: a.provider.id,
                        account: a.uid,
                      });
                      if (answer.status === 200) {
                        setAccounts(answer.data);
                        notify(`${a.display} is disconnected.`);
                      }
                      return answer;
                    }}
                    label="Disconnect"
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Connect an account</h2>
      <ProviderButtons process="connect" />
    </section>
  );
}
