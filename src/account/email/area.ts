import type { Area } from "../../area.js";
import { emailRoutes } from "./routes.js";
import { verifyEmailStage } from "./stage.js";

/** Email verification (link and code, the verify_email stage) and email address management. */
export const emailArea: Area = {
  name: "email",
  routes: emailRoutes,
  stages: [verifyEmailStage],
};
