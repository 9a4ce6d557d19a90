/**
 * The messages Latchkey mails, worded after django-allauth's account/email/* templates.
 *
 * Each template is built from one list of blocks that renders to both the plain-text body
 * (read on a console or in a text-only client) and a simple inline-styled HTML body, so the
 * two cannot drift apart. Every interpolated value is escaped in the HTML rendering.
 */

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** Every template takes the site name: it prefixes the subject ("[Site] ") and signs the body. */
export interface SiteParams {
  siteName: string;
}

/** Where a security-relevant change came from, shown in notification mails when known. */
export interface ChangeOrigin {
  ip?: string;
  userAgent?: string;
  timestamp?: Date;
}

export interface EmailVerificationLinkParams extends SiteParams {
  url: string;
  /** How the account is named to the recipient (allauth's user_display), e.g. the username. */
  userDisplay?: string;
}

export interface EmailVerificationCodeParams extends SiteParams {
  code: string;
  userDisplay?: string;
}

export interface PasswordResetLinkParams extends SiteParams {
  url: string;
  username?: string;
}

export interface PasswordResetCodeParams extends SiteParams {
  code: string;
}

export interface UnknownAccountParams extends SiteParams {
  email: string;
  signupUrl?: string;
}

export interface AccountAlreadyExistsParams extends SiteParams {
  email: string;
  passwordResetUrl?: string;
  loginUrl?: string;
}

export interface LoginCodeParams extends SiteParams {
  code: string;
}

export interface NotificationParams extends SiteParams, ChangeOrigin {}

export interface EmailNotificationParams extends NotificationParams {
  email?: string;
}

export interface ProviderAccountParams extends NotificationParams {
  /** The provider's display name, e.g. "Google". */
  provider: string;
}

export interface EmailChangedParams extends NotificationParams {
  from?: string;
  to?: string;
  email?: string;
}

type Block =
  | { kind: "paragraph"; text: string }
  | { kind: "link"; url: string; label: string }
  | { kind: "code"; code: string }
  | { kind: "details"; rows: Array<[label: string, value: string]> };

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

// A configured frontend URL is trusted, but a value that is not http(s) is shown as text
// rather than made clickable, so a bad setting can never become a javascript: link.
function isWebUrl(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

const FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
const STYLE_PARAGRAPH = "margin:0 0 16px 0;";
const STYLE_BUTTON =
  "display:inline-block;padding:10px 18px;background:#2563eb;color:#ffffff;text-decoration:none;" +
  "border-radius:6px;font-weight:600;";
const STYLE_CODE =
  "display:inline-block;margin:0 0 16px 0;padding:12px 20px;background:#f3f4f6;border:1px solid #d1d5db;" +
  "border-radius:6px;font-family:'SFMono-Regular',Consolas,'Liberation Mono',Menlo,monospace;" +
  "font-size:28px;font-weight:700;letter-spacing:4px;color:#111827;";
const STYLE_SMALL = "margin:0 0 16px 0;font-size:13px;color:#6b7280;word-break:break-all;";

function blockToText(block: Block): string {
  switch (block.kind) {
    case "paragraph":
      return block.text;
    case "link":
      return block.url;
    case "code":
      // Indented on a line of its own so it stands out in a console or text-only client.
      return `    ${block.code}`;
    case "details":
      return block.rows.map(([label, value]) => `- ${label}: ${value}`).join("\n");
  }
}

function blockToHtml(block: Block): string {
  switch (block.kind) {
    case "paragraph":
      return `<p style="${STYLE_PARAGRAPH}">${escapeHtml(block.text).replace(/\n/g, "<br>")}</p>`;
    case "link": {
      const url = escapeHtml(block.url);
      if (!isWebUrl(block.url)) return `<p style="${STYLE_SMALL}">${url}</p>`;
      return (
        `<p style="${STYLE_PARAGRAPH}"><a href="${url}" style="${STYLE_BUTTON}">${escapeHtml(block.label)}</a></p>` +
        `<p style="${STYLE_SMALL}">${escapeHtml("If the button does not work, copy this link into your browser:")}` +
        `<br><a href="${url}" style="color:#2563eb;">${url}</a></p>`
      );
    }
    case "code":
      return `<div style="${STYLE_CODE}">${escapeHtml(block.code)}</div>`;
    case "details":
      return (
        `<ul style="margin:0 0 16px 0;padding-left:20px;">` +
        block.rows
          .map(([label, value]) => `<li><strong>${escapeHtml(label)}:</strong> ${escapeHtml(value)}</li>`)
          .join("") +
        "</ul>"
      );
  }
}

/** allauth's format_email_subject: "[Site] Subject". */
function formatSubject(siteName: string, subject: string): string {
  // A subject is one header line; a newline in a configured site name must not split it.
  const site = siteName.replace(/[\r\n]+/g, " ").trim();
  return site ? `[${site}] ${subject}` : subject;
}

function render(siteName: string, subject: string, blocks: Block[]): RenderedMail {
  const greeting = `Hello from ${siteName}!`;
  const closing = `Thank you for using ${siteName}!`;
  const fullSubject = formatSubject(siteName, subject);

  const text = `${[greeting, ...blocks.map(blockToText), closing].join("\n\n")}\n`;

  const html =
    "<!DOCTYPE html>\n" +
    '<html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${escapeHtml(fullSubject)}</title></head>\n` +
    `<body style="margin:0;padding:0;background:#f5f5f5;">\n` +
    `<div style="max-width:560px;margin:0 auto;padding:24px 16px;font-family:${FONT};font-size:15px;line-height:1.5;color:#1f2937;">\n` +
    `<div style="background:#ffffff;border:1px solid #e5e7eb;border-radius:8px;padding:24px;">\n` +
    `<p style="${STYLE_PARAGRAPH}">${escapeHtml(greeting)}</p>\n` +
    blocks.map((block) => `${blockToHtml(block)}\n`).join("") +
    `<p style="margin:0;color:#6b7280;">${escapeHtml(closing)}</p>\n` +
    "</div>\n</div>\n</body></html>\n";

  return { subject: fullSubject, text, html };
}

function paragraph(text: string): Block {
  return { kind: "paragraph", text };
}

function link(url: string, label: string): Block {
  return { kind: "link", url, label };
}

function code(value: string): Block {
  return { kind: "code", code: value };
}

const IGNORE_IF_NOT_YOU = "This mail can be safely ignored if you did not initiate this action.";

function verificationIntro(siteName: string, userDisplay: string | undefined, signup: boolean): string {
  const who = userDisplay
    ? `user ${userDisplay} has given your email address`
    : "your email address was given";
  return signup
    ? `You're receiving this email because ${who} to register an account on ${siteName}.`
    : `You're receiving this email because ${who} to connect it to their account on ${siteName}.`;
}

function emailVerificationLink(params: EmailVerificationLinkParams, signup: boolean): RenderedMail {
  return render(params.siteName, "Please Confirm Your Email Address", [
    paragraph(verificationIntro(params.siteName, params.userDisplay, signup)),
    paragraph("To confirm this is correct, go to:"),
    link(params.url, "Confirm email address"),
  ]);
}

function emailVerificationCode(params: EmailVerificationCodeParams, signup: boolean): RenderedMail {
  return render(params.siteName, "Please Confirm Your Email Address", [
    paragraph(verificationIntro(params.siteName, params.userDisplay, signup)),
    paragraph("Your email verification code is listed below. Please enter it in your open browser window."),
    code(params.code),
    paragraph(IGNORE_IF_NOT_YOU),
  ]);
}

/** Verification link mailed when an address is added to an existing account (allauth: email_confirmation). */
export function emailConfirmationMessage(params: EmailVerificationLinkParams): RenderedMail {
  return emailVerificationLink(params, false);
}

/** Verification link mailed at signup (allauth: email_confirmation_signup). */
export function emailConfirmationSignupMessage(params: EmailVerificationLinkParams): RenderedMail {
  return emailVerificationLink(params, true);
}

/** Verification code mailed when an address is added to an existing account. */
export function emailConfirmationCodeMessage(params: EmailVerificationCodeParams): RenderedMail {
  return emailVerificationCode(params, false);
}

/** Verification code mailed at signup. */
export function emailConfirmationCodeSignupMessage(params: EmailVerificationCodeParams): RenderedMail {
  return emailVerificationCode(params, true);
}

/** allauth: password_reset_key. */
export function passwordResetKeyMessage(params: PasswordResetLinkParams): RenderedMail {
  const blocks: Block[] = [
    paragraph(
      "You're receiving this email because you or someone else has requested a password reset for your user account.\n" +
        "It can be safely ignored if you did not request a password reset. Click the link below to reset your password.",
    ),
    link(params.url, "Reset password"),
  ];
  if (params.username) blocks.push(paragraph(`In case you forgot, your username is ${params.username}.`));
  return render(params.siteName, "Password Reset", blocks);
}

/** allauth: password_reset_code. */
export function passwordResetCodeMessage(params: PasswordResetCodeParams): RenderedMail {
  return render(params.siteName, "Password Reset Code", [
    paragraph("Your password reset code is listed below. Please enter it in your open browser window."),
    code(params.code),
    paragraph(IGNORE_IF_NOT_YOU),
  ]);
}

/** allauth: unknown_account, sent instead of a reset mail when no account has the address. */
export function unknownAccountMessage(params: UnknownAccountParams): RenderedMail {
  const blocks: Block[] = [
    paragraph(
      "You are receiving this email because you or someone else has requested a password for your user account. " +
        `However, we do not have any record of a user with email ${params.email} in our database.`,
    ),
    paragraph("This mail can be safely ignored if you did not request a password reset."),
  ];
  if (params.signupUrl) {
    blocks.push(paragraph("If it was you, you can sign up for an account using the link below."));
    blocks.push(link(params.signupUrl, "Sign up"));
  }
  return render(params.siteName, "Password Reset Email", blocks);
}

/** allauth: account_already_exists, sent instead of a verification mail when signup hits a taken address. */
export function accountAlreadyExistsMessage(params: AccountAlreadyExistsParams): RenderedMail {
  const blocks: Block[] = [
    paragraph(
      "You are receiving this email because you or someone else tried to sign up for an account using email address:",
    ),
    paragraph(params.email),
    paragraph("However, an account using that email address already exists."),
  ];
  if (params.loginUrl) {
    blocks.push(paragraph("If that was you, you can sign in to your existing account:"));
    blocks.push(link(params.loginUrl, "Sign in"));
  }
  if (params.passwordResetUrl) {
    blocks.push(
      paragraph(
        "In case you have forgotten about this, please use the password forgotten procedure to recover your account:",
      ),
    );
    blocks.push(link(params.passwordResetUrl, "Reset password"));
  }
  blocks.push(paragraph("This mail can be safely ignored if you did not try to sign up."));
  return render(params.siteName, "Account Already Exists", blocks);
}

/** allauth: login_code (subject from login_by_email_subject). */
export function loginCodeMessage(params: LoginCodeParams): RenderedMail {
  return render(params.siteName, "Sign-In Code", [
    paragraph("Your sign-in code is listed below. Please enter it in your open browser window."),
    code(params.code),
    paragraph(IGNORE_IF_NOT_YOU),
  ]);
}

function formatTimestamp(timestamp: Date): string {
  if (Number.isNaN(timestamp.getTime())) return "unknown";
  return `${timestamp
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d{3}Z$/, "")} UTC`;
}

/** allauth: base_notification, the frame of every security notification. */
function notification(params: NotificationParams, subject: string, change: string): RenderedMail {
  const rows: Array<[string, string]> = [];
  if (params.ip) rows.push(["IP address", params.ip]);
  if (params.userAgent) rows.push(["Browser", params.userAgent]);
  if (params.timestamp) rows.push(["Date", formatTimestamp(params.timestamp)]);

  const blocks: Block[] = [
    paragraph("You are receiving this mail because the following change was made to your account:"),
    paragraph(change),
  ];
  if (rows.length > 0) {
    blocks.push(
      paragraph(
        "If you do not recognize this change then please take proper security precautions immediately. " +
          "The change to your account originates from:",
      ),
      { kind: "details", rows },
    );
  } else {
    blocks.push(
      paragraph(
        "If you do not recognize this change then please take proper security precautions immediately.",
      ),
    );
  }
  return render(params.siteName, subject, blocks);
}

/** allauth: password_changed. */
export function passwordChangedMessage(params: NotificationParams): RenderedMail {
  return notification(params, "Password Changed", "Your password has been changed.");
}

/** allauth: password_set. */
export function passwordSetMessage(params: NotificationParams): RenderedMail {
  return notification(params, "Password Set", "Your password has been set.");
}

/** allauth: email_added. */
export function emailAddedMessage(params: EmailNotificationParams): RenderedMail {
  const change = params.email
    ? `Email address ${params.email} has been added to your account.`
    : "Email address has been added.";
  return notification(params, "Email Added", change);
}

/** allauth: email_deleted. */
export function emailRemovedMessage(params: EmailNotificationParams): RenderedMail {
  const change = params.email
    ? `Email address ${params.email} has been removed from your account.`
    : "Email address has been removed from your account.";
  return notification(params, "Email Removed", change);
}

/** allauth: email_changed, sent when the primary address changes. */
export function emailChangedMessage(params: EmailChangedParams): RenderedMail {
  let change: string;
  if (params.from && params.to) change = `Your email has been changed from ${params.from} to ${params.to}.`;
  else if (params.to ?? params.email)
    change = `Your primary email address has been changed to ${params.to ?? params.email}.`;
  else change = "Your primary email address has been changed.";
  return notification(params, "Email Changed", change);
}

/** allauth: socialaccount/account_connected. */
export function accountConnectedMessage(params: ProviderAccountParams): RenderedMail {
  return notification(
    params,
    "Third-Party Account Connected",
    `A third-party account from ${params.provider} has been connected to your account.`,
  );
}

/** allauth: socialaccount/account_disconnected. */
export function accountDisconnectedMessage(params: ProviderAccountParams): RenderedMail {
  return notification(
    params,
    "Third-Party Account Disconnected",
    `A third-party account from ${params.provider} has been disconnected from your account.`,
  );
}

/**
 * Every template by name; names follow allauth's template prefixes so a flow can be traced
 * back to the allauth message it mirrors.
 */
export const mailTemplates = {
  email_confirmation: emailConfirmationMessage,
  email_confirmation_signup: emailConfirmationSignupMessage,
  email_confirmation_code: emailConfirmationCodeMessage,
  email_confirmation_code_signup: emailConfirmationCodeSignupMessage,
  password_reset_key: passwordResetKeyMessage,
  password_reset_code: passwordResetCodeMessage,
  unknown_account: unknownAccountMessage,
  account_already_exists: accountAlreadyExistsMessage,
  login_code: loginCodeMessage,
  password_changed: passwordChangedMessage,
  password_set: passwordSetMessage,
  email_added: emailAddedMessage,
  email_deleted: emailRemovedMessage,
  email_changed: emailChangedMessage,
  account_connected: accountConnectedMessage,
  account_disconnected: accountDisconnectedMessage,
} as const satisfies Record<string, (params: never) => RenderedMail>;

export type MailTemplateName = keyof typeof mailTemplates;

export type MailTemplateParams<N extends MailTemplateName> = Parameters<(typeof mailTemplates)[N]>[0];

/** Security notifications, sent only when the notifications option is on (allauth: ACCOUNT_EMAIL_NOTIFICATIONS). */
export const notificationTemplateNames = [
  "password_changed",
  "password_set",
  "email_added",
  "email_deleted",
  "email_changed",
  "account_connected",
  "account_disconnected",
] as const satisfies readonly MailTemplateName[];

export function renderMailTemplate<N extends MailTemplateName>(
  name: N,
  params: MailTemplateParams<N>,
): RenderedMail {
  const template = mailTemplates[name] as (params: MailTemplateParams<N>) => RenderedMail;
  return template(params);
}
