import type { ClientApiError } from "latchkey/client";
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { problemsOf } from "./api";

/** What a form's submit returns: the server's answer (its errors are shown), or nothing. */
type Submitted = { status: number; errors?: ClientApiError[] } | undefined;

/**
 * A form that calls the server: its button is disabled while the call runs, and what went wrong
 * (the server's messages, or an exception such as a cancelled security-key prompt) is listed.
 */
export function Form({
  submit,
  label,
  children,
}: {
  submit: () => Promise<Submitted>;
  label: string;
  children?: ComponentChildren;
}) {
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<string[]>([]);
  return (
    <form
      onSubmit={async (event) => {
        event.preventDefault();
        setBusy(true);
        try {
          const answer = await submit();
          setProblems(answer ? problemsOf(answer) : []);
        } catch (error) {
          setProblems([error instanceof Error ? error.message : String(error)]);
        } finally {
          setBusy(false);
        }
      }}
    >
      {children}
      {problems.length > 0 && (
        <ul class="errors" role="alert">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      <button type="submit" disabled={busy}>
        {label}
      </button>
    </form>
  );
}

interface FieldProps {
  label: string;
  value: string;
  onInput: (value: string) => void;
  type?: "text" | "email" | "tel" | "password";
  autocomplete?: string;
  required?: boolean;
}

export function Field({ label, value, onInput, type = "text", autocomplete, required = true }: FieldProps) {
  return (
    <label>
      {label}
      <input
        // Preact types each input type apart; these four take the same attributes.
        type={type as "text"}
        value={value}
        required={required}
        autocomplete={autocomplete}
        onInput={(event) => onInput(event.currentTarget.value)}
      />
    </label>
  );
}

export function PasswordField(props: Omit<FieldProps, "type">) {
  return <Field type="password" autocomplete="current-password" {...props} />;
}

/** A code from a mail, a text or an authenticator app (the phone offers it for autofill). */
export function CodeField(props: Omit<FieldProps, "type">) {
  return <Field autocomplete="one-time-code" {...props} />;
}
