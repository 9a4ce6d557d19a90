export {
  RateLimiter,
  type RateLimiterOptions,
  type RateLimitOverrides,
  type RateLimitSubject,
} from "./limiter.js";
export {
  DEFAULT_RATE_LIMITS,
  isRateLimitAction,
  parseRateSpec,
  RATE_LIMIT_ACTIONS,
  type RateKeyType,
  type RateLimitAction,
  type RateRule,
} from "./spec.js";
export { DEFAULT_POSTGRES_TABLE, DEFAULT_REDIS_KEY_PREFIX, type RateLimitStore } from "./stores.js";
