import { z } from "zod";

/** The user sessions area's options (allauth.usersessions). */
export const usersessionsOptions = z
  .object({
    /** The /auth/sessions endpoints and config key (allauth.usersessions installed). */
    enabled: z.boolean().default(true),
    /** USERSESSIONS_TRACK_ACTIVITY: report last_seen_at. */
    trackActivity: z.boolean().default(false),
    /** End the user's other sessions when the password changes (Django does, through its session auth hash). */
    endOthersOnPasswordChange: z.boolean().default(true),
  })
  .strict()
  .prefault({});

declare module "../options/schema.js" {
  interface AreaOptions {
    usersessions: z.output<typeof usersessionsOptions>;
  }
  interface AreaOptionsInput {
    usersessions?: z.input<typeof usersessionsOptions>;
  }
}
