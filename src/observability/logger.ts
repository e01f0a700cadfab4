import { pino, type Logger } from "pino";

export interface LoggerOptions {
  readonly level: string;
  readonly format: "json" | "pretty";
}

/**
 * Keys that may hold secrets anywhere in a logged object. streamhook never logs its configuration
 * whole, so this is a second line of defence: it keeps a mistake from printing a secret.
 */
const SECRET_KEYS = [
  "secret",
  "previousSecret",
  "previous_secret",
  "password",
  "pass",
  "token",
  "seed",
  "jwt",
  "authorization",
  "headers",
];

export const REDACT_PATHS = [...SECRET_KEYS, ...SECRET_KEYS.map((key) => `*.${key}`)];

export function createLogger(options: LoggerOptions, destination?: pino.DestinationStream): Logger {
  const base: pino.LoggerOptions = {
    level: options.level,
    base: { service: "streamhook" },
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (options.format === "pretty" && destination === undefined) {
    return pino({ ...base, transport: { target: "pino-pretty", options: { colorize: true } } });
  }
  return destination === undefined ? pino(base) : pino(base, destination);
}
