export {
  ACCOUNT_FILE,
  ACCOUNT_NAME,
  accountDefaults,
  accountSchema,
  DEFAULT_CREDENTIALS,
  parseAccountFile,
  parseAccountText,
  resolveAccount,
  type RawAccount,
  type ResolveContext,
} from "./account.js";
export { DurationError, MAX_DURATION_MS, parseDuration } from "./duration.js";
export { ENV_ACCOUNT, ENV_ACCOUNT_NAME, ENV_KEYS } from "./env.js";
export { ConfigError, formatIssue, type ConfigIssue } from "./errors.js";
export { interpolateString } from "./interpolate.js";
export { loadConfig, type LoadOptions } from "./load.js";
export { configSchema, LOG_LEVELS, type RawConfig } from "./schema.js";
export type * from "./types.js";
