import { type AuthState, type ClientApiError, createAllauthClient, type FlowId } from "latchkey/client";

/**
 * The one client of the app: the allauth API's browser tree on this origin (the session is a
 * cookie; the client sends the CSRF token itself).
 */
export const client = createAllauthClient({ kind: "browser" });

/** Where the app sends the browser when a login waits for a step. */
export const FLOW_PAGES: Partial<Record<FlowId, string>> = {
  login_by_code: "/account/login/code/confirm",
  verify_email: "/account/verify-email",
  verify_phone: "/account/verify-phone",
  mfa_authenticate: "/account/2fa",
  mfa_trust: "/account/2fa/trust",
  mfa_signup_webauthn: "/account/signup/passkey/create",
  provider_signup: "/account/provider/signup",
  password_reset_by_code: "/account/password/reset/code",
};

/** The page an authentication change leads to, or null to stay where the user is. */
export function pageAfter(previous: AuthState | null, next: AuthState): string | null {
  // The page load's own check: the page asked for is where the user wants to be.
  if (previous === null) return null;
  if (next.status === "pending") {
    const same = previous.status === "pending" && previous.flow.id === next.flow.id;
    return same ? null : (FLOW_PAGES[next.flow.id] ?? null);
  }
  const wasIn = previous.status === "authenticated" || previous.status === "reauthentication_required";
  if (next.status === "authenticated" && !wasIn) return "/";
  if (next.status === "anonymous" && previous.status !== "anonymous") return "/account/login";
  return null;
}

/** What went wrong with a call, to show: the server's messages, or its status when it sent none. */
export function problemsOf(answer: { status: number; errors?: ClientApiError[] }): string[] {
  if (answer.errors?.length) {
    return answer.errors.map((e) => (e.param ? `${e.param}: ${e.message}` : e.message));
  }
  if (answer.status === 409) return ["This step is no longer pending: start again."];
  if (answer.status === 429) return ["Too many attempts: wait a little and try again."];
  if (answer.status >= 400 && answer.status !== 401) return [`The server answered ${answer.status}.`];
  return [];
}

/** Unix seconds as a local date and time. */
export function when(seconds: number | null | undefined): string {
  return seconds ? new Date(seconds * 1000).toLocaleString() : "never";
}
