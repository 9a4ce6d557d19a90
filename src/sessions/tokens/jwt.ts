import type { ResolvedOptions } from "../../options/schema.js";
import type { TokenStrategy } from "./strategy.js";

/** The JWT strategy (HEADLESS_TOKEN_STRATEGY = JWTTokenStrategy): access and refresh tokens for app clients. */
export function createJwtStrategy(_o: ResolvedOptions): TokenStrategy {
  throw new Error("the JWT token strategy is not built yet");
}
