import type { FlowInfo } from "latchkey";
import { authState, getWebAuthnCredential } from "latchkey/client";
import { type ComponentChildren, createContext } from "preact";
import { useContext, useState } from "preact/hooks";
import { client } from "./api";
import { CodeField, Form, PasswordField } from "./ui";

/**
 * Some actions (TOTP, recovery codes, security keys) need a recent login: the server answers 401
 * with the ways to confirm who you are. `guard(action)` runs the action; on that answer it shows
 * the confirmation (password, authenticator code or security key) and, once confirmed, runs the
 * action again and returns its answer.
 */
type Guard = <T extends { status: number }>(action: () => Promise<T>) => Promise<T>;

interface Prompt {
  flows: FlowInfo[];
  done: (confirmed: boolean) => void;
}

const ReauthContext = createContext<Guard>((action) => action());

export function ReauthProvider({ children }: { children: ComponentChildren }) {
  const [prompt, setPrompt] = useState<Prompt | null>(null);
  const guard: Guard = async (action) => {
    const answer = await action();
    const state = authState(answer);
    if (state?.status !== "reauthentication_required") return answer;
    const confirmed = await new Promise<boolean>((done) => setPrompt({ flows: state.flows, done }));
    setPrompt(null);
    return confirmed ? action() : answer;
  };
  return (
    <ReauthContext.Provider value={guard}>
      {prompt && <Reauthenticate prompt={prompt} />}
      {/* Hidden, not removed: the page keeps what was typed, and gets the action's answer. */}
      <div hidden={prompt !== null}>{children}</div>
    </ReauthContext.Provider>
  );
}

export function useGuard(): Guard {
  return useContext(ReauthContext);
}

function Reauthenticate({ prompt }: { prompt: Prompt }) {
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const withPassword = prompt.flows.some((f) => f.id === "reauthenticate");
  const types = prompt.flows.find((f) => f.id === "mfa_reauthenticate")?.types ?? [];
  const confirmed = <T extends { status: number }>(answer: T) => {
    if (answer.status === 200) prompt.done(true);
    return answer;
  };
  return (
    <section>
      <h1>Confirm it is you</h1>
      <p>This action needs a recent login.</p>
      {withPassword && (
        <Form submit={async () => confirmed(await client.reauthenticate({ password }))} label="Confirm">
          <PasswordField label="Password" value={password} onInput={setPassword} />
        </Form>
      )}
      {(types.includes("totp") || types.includes("recovery_codes")) && (
        <Form
          submit={async () => confirmed(await client.mfaReauthenticate({ code }))}
          label="Confirm with code"
        >
          <CodeField label="Authenticator or recovery code" value={code} onInput={setCode} />
        </Form>
      )}
      {types.includes("webauthn") && (
        <Form
          submit={async () => {
            const options = await client.getWebAuthnReauthenticateOptions();
            if (options.status !== 200) return options;
            const credential = await getWebAuthnCredential(options.data);
            return confirmed(await client.reauthenticateWithWebAuthn({ credential }));
          }}
          label="Use a security key"
        />
      )}
      <button type="button" class="secondary" onClick={() => prompt.done(false)}>
        Cancel
      </button>
    </section>
  );
}
