import type { Area } from "../area.js";

/** User sessions: list and end them (allauth.usersessions). */
export const usersessionsArea: Area = {
  name: "usersessions",
  routes: () => [],
};
