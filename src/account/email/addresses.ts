import type { Context } from "../../base/context.js";
import type { EmailAddress } from "../../core/wire.js";
import type { AddressRow } from "../../store/addresses.js";

/** An entry of GET /account/email (allauth `email_address_data`). */
export function addressResponse(row: Pick<AddressRow, "email" | "verified" | "is_primary">): EmailAddress {
  return { email: row.email, verified: row.verified === 1, primary: row.is_primary === 1 };
}

/**
 * Security notification mails (allauth `send_notification_mail`): only with
 * account.emailNotifications, with where the change came from.
 */
export async function notify(
  ctx: Context,
  to: string | null | undefined,
  template: "email_added" | "email_deleted" | "email_changed",
  params: { email?: string; from?: string; to?: string },
): Promise<void> {
  if (!ctx.options.account.emailNotifications || !to) return;
  await ctx.rt.mailer.sendTemplate(to, template, {
    ...params,
    ip: ctx.ip,
    userAgent: ctx.userAgent,
    timestamp: new Date(ctx.now()),
  });
}
