export { accountDefaults, resolveAccount, type ResolveContext } from "./account.js";
export { parseDuration } from "./duration.js";
export { ConfigError, type ConfigIssue } from "./errors.js";
export { accountSchema, ACCOUNT_NAME, type RawAccount } from "./fields.js";
export { loadConfig, type LoadOptions } from "./load.js";
export type * from "./types.js";
