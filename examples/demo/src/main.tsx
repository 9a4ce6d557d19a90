import type { JSX } from "preact";
import { render } from "preact";
import { client } from "./api";
import { AuthProvider, useAuth } from "./auth";
import { ConnectedAccounts } from "./pages/account/connected-accounts";
import { EmailAddresses } from "./pages/account/email-addresses";
import { Phone } from "./pages/account/phone";
import { Sessions } from "./pages/account/sessions";
import { Home } from "./pages/home";
import { ConfirmLoginCode } from "./pages/login/confirm-login-code";
import { Login } from "./pages/login/login";
import { LoginByCode } from "./pages/login/login-by-code";
import { MfaAuthenticate } from "./pages/login/mfa-authenticate";
import { MfaTrust } from "./pages/login/mfa-trust";
import { Mailbox } from "./pages/mailbox";
import { RecoveryCodes } from "./pages/mfa/recovery-codes";
import { SecurityKeys } from "./pages/mfa/security-keys";
import { Totp } from "./pages/mfa/totp";
import { TwoFactor } from "./pages/mfa/two-factor";
import { ChangePassword } from "./pages/password/change-password";
import { RequestPasswordReset } from "./pages/password/request-password-reset";
import { ResetPasswordByCode } from "./pages/password/reset-password-by-code";
import { ResetPasswordFromKey } from "./pages/password/reset-password-from-key";
import { ProviderCallback } from "./pages/provider/provider-callback";
import { ProviderSignup } from "./pages/provider/provider-signup";
import { CreatePasskey } from "./pages/signup/create-passkey";
import { PasskeySignup } from "./pages/signup/passkey-signup";
import { Signup } from "./pages/signup/signup";
import { VerifyEmail } from "./pages/signup/verify-email";
import { VerifyEmailFromKey } from "./pages/signup/verify-email-from-key";
import { VerifyPhone } from "./pages/signup/verify-phone";
import { ReauthProvider } from "./reauth";
import { Link, match, useLocation } from "./router";
import "./style.css";

type Page = (params: Record<string, string>) => JSX.Element;

/** The app's pages by path; `:name` matches one segment. */
const ROUTES: [string, Page][] = [
  ["/", () => <Home />],
  ["/account/login", () => <Login />],
  ["/account/login/code", () => <LoginByCode />],
  ["/account/login/code/confirm", () => <ConfirmLoginCode />],
  ["/account/2fa", () => <MfaAuthenticate />],
  ["/account/2fa/trust", () => <MfaTrust />],
  ["/account/signup", () => <Signup />],
  ["/account/signup/passkey", () => <PasskeySignup />],
  ["/account/signup/passkey/create", () => <CreatePasskey />],
  ["/account/verify-email", () => <VerifyEmail />],
  ["/account/verify-email/:key", ({ key }) => <VerifyEmailFromKey verificationKey={key!} />],
  ["/account/verify-phone", () => <VerifyPhone />],
  ["/account/password/reset", () => <RequestPasswordReset />],
  ["/account/password/reset/key/:key", ({ key }) => <ResetPasswordFromKey resetKey={key!} />],
  ["/account/password/reset/code", () => <ResetPasswordByCode />],
  ["/account/password/change", () => <ChangePassword />],
  ["/account/email", () => <EmailAddresses />],
  ["/account/phone", () => <Phone />],
  ["/account/mfa", () => <TwoFactor />],
  ["/account/mfa/totp", () => <Totp />],
  ["/account/mfa/recovery-codes", () => <RecoveryCodes />],
  ["/account/mfa/webauthn", () => <SecurityKeys />],
  ["/account/sessions", () => <Sessions />],
  ["/account/providers", () => <ConnectedAccounts />],
  ["/account/provider/callback", () => <ProviderCallback />],
  ["/account/provider/signup", () => <ProviderSignup />],
  ["/mailbox", () => <Mailbox />],
];

function Navigation() {
  const { state } = useAuth();
  const loggedIn = state?.status === "authenticated" || state?.status === "reauthentication_required";
  return (
    <nav>
      <Link href="/">Home</Link>
      {loggedIn ? (
        <>
          <Link href="/account/email">Email</Link>
          <Link href="/account/phone">Phone</Link>
          <Link href="/account/password/change">Password</Link>
          <Link href="/account/mfa">Two-factor</Link>
          <Link href="/account/sessions">Sessions</Link>
          <Link href="/account/providers">Providers</Link>
          <button type="button" class="link" onClick={() => client.logout()}>
            Log out
          </button>
        </>
      ) : (
        <>
          <Link href="/account/login">Log in</Link>
          <Link href="/account/signup">Sign up</Link>
        </>
      )}
      <span class="spacer" />
      <Link href="/mailbox">Mailbox</Link>
    </nav>
  );
}

function App() {
  const { path, notice } = useLocation();
  const { state } = useAuth();
  const found = ROUTES.map(([pattern, page]) => ({ page, params: match(pattern, path) })).find(
    (route) => route.params !== null,
  );
  return (
    <>
      <header>
        <strong>Latchkey demo</strong>
        <Navigation />
      </header>
      <main>
        {notice && (
          <p class="notice" role="status">
            {notice}
          </p>
        )}
        {/* Pages render once the session is known, so none flashes "not logged in". */}
        {state === null ? <p>Loading…</p> : found ? found.page(found.params!) : <h1>Not found</h1>}
      </main>
    </>
  );
}

render(
  <AuthProvider>
    <ReauthProvider>
      <App />
    </ReauthProvider>
  </AuthProvider>,
  document.getElementById("app")!,
);
