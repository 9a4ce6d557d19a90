/**
 * The texts Latchkey sends to phones, worded after django-allauth's SMS hooks (verification code,
 * account already exists, unknown account). Texts stay short enough for one SMS: the code comes
 * first (so phones offer it for autofill), and every text names the site.
 */

/** What each template takes besides the site name. */
export interface SmsTemplateParams {
  /** A phone verification code (signup, phone change). */
  verification_code: { code: string };
  /** A code that logs in (login by code). */
  login_code: { code: string };
  /** What a signup with a number that already has an account texts instead of a code. */
  account_already_exists: Record<string, never>;
  /** What a login code request for a number without an account texts instead of a code. */
  unknown_account: Record<string, never>;
}

export type SmsTemplateName = keyof SmsTemplateParams;

const TEMPLATES: { [N in SmsTemplateName]: (site: string, params: SmsTemplateParams[N]) => string } = {
  verification_code: (site, { code }) => `${code} is your ${site} verification code.`,
  login_code: (site, { code }) => `${code} is your ${site} sign-in code.`,
  account_already_exists: (site) =>
    `${site}: someone tried to sign up with this phone number, which already has an account. If it was you, sign in instead.`,
  unknown_account: (site) =>
    `${site}: someone asked to sign in with this phone number, which has no account. If it was not you, ignore this message.`,
};

export const smsTemplateNames = Object.keys(TEMPLATES) as SmsTemplateName[];

/** A template's text; line breaks in the values are flattened (a text is one paragraph). */
export function renderSmsTemplate<N extends SmsTemplateName>(
  name: N,
  siteName: string,
  params: SmsTemplateParams[N],
): string {
  const flat = (value: string) => value.replace(/\s+/g, " ").trim();
  const flattened = Object.fromEntries(
    Object.entries(params).map(([key, value]) => [key, flat(String(value))]),
  ) as SmsTemplateParams[N];
  return TEMPLATES[name](flat(siteName), flattened);
}
