import type { Context } from "../base/context.js";

/**
 * allauth's account_connected and account_disconnected notifications: sent only with
 * account.emailNotifications, to the user's primary address, with where the change came from.
 */
export async function notifyAccountChange(
  ctx: Context,
  to: string | null,
  change: "connected" | "disconnected",
  providerName: string,
): Promise<void> {
  if (!ctx.options.account.emailNotifications || !to) return;
  await ctx.rt.mailer.sendTemplate(
    to,
    change === "connected" ? "account_connected" : "account_disconnected",
    {
      provider: providerName,
      ip: ctx.ip,
      userAgent: ctx.userAgent,
      timestamp: new Date(ctx.now()),
    },
  );
}
