import { when } from "../../api";
import { useAuth } from "../../auth";
import { useAuthenticators } from "../../authenticators";
import { Link } from "../../router";

/** The two-factor overview: which authenticators the user has, with links to manage each. */
export function TwoFactor() {
  const { config } = useAuth();
  const [authenticators] = useAuthenticators();
  const totp = authenticators.find((a) => a.type === "totp");
  const codes = authenticators.find((a) => a.type === "recovery_codes");
  const keys = authenticators.filter((a) => a.type === "webauthn");
  const types = config?.mfa?.supported_types ?? [];
  return (
    <section>
      <h1>Two-factor authentication</h1>
      <table>
        <tbody>
          {types.includes("totp") && (
            <tr>
              <td>Authenticator app</td>
              <td>{totp ? `active since ${when(totp.created_at)}` : "not set up"}</td>
              <td>
                <Link href="/account/mfa/totp">{totp ? "Manage" : "Set up"}</Link>
              </td>
            </tr>
          )}
          {types.includes("recovery_codes") && (
            <tr>
              <td>Recovery codes</td>
              <td>{codes ? `${codes.unused_code_count} of ${codes.total_code_count} unused` : "none yet"}</td>
              <td>{codes && <Link href="/account/mfa/recovery-codes">View</Link>}</td>
            </tr>
          )}
          {types.includes("webauthn") && (
            <tr>
              <td>Security keys and passkeys</td>
              <td>{keys.length}</td>
              <td>
                <Link href="/account/mfa/webauthn">Manage</Link>
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
