export {
  type RateLimitDefaults,
  RateLimiter,
  type RateLimiterOptions,
  type RateLimitOverrides,
  type RateLimitSubject,
} from "./limiter.js";
export {
  checkRateLimitOptions,
  DEFAULT_RATE_LIMITS,
  parseRateSpec,
  RATE_LIMIT_ACTIONS,
  type RateKeyType,
  type RateLimitAction,
  type RateLimitCatalog,
  type RateRule,
} from "./spec.js";
export {
  DEFAULT_POSTGRES_TABLE,
  DEFAULT_REDIS_KEY_PREFIX,
  type RateLimitStore,
  serveClusterRateLimits,
} from "./stores.js";
