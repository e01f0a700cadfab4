import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import { AuthorizationError, UserAuthenticationExpiredError } from "@nats-io/transport-node";
import { CredentialsError, MissingResourceError } from "./errors.js";

/**
 * A short reason for an account's `waiting` or `invalid` state, for logs, /readyz and `check`.
 * Built only from error classes and messages the client and server produce, never from creds.
 */
export function describeNatsError(
  error: unknown,
  context: { stream: string; consumer: string },
): string {
  if (error instanceof JetStreamApiError) {
    if (error.code === JetStreamApiCodes.StreamNotFound)
      return `stream "${context.stream}" not found`;
    if (error.code === JetStreamApiCodes.ConsumerNotFound) {
      return `consumer "${context.consumer}" not found on stream "${context.stream}"`;
    }
    if (error.code === JetStreamApiCodes.JetStreamNotEnabledForAccount) {
      return "JetStream is not enabled for this account";
    }
    return `JetStream error: ${error.message}`;
  }
  if (error instanceof AuthorizationError) return "authorization refused by the server";
  if (error instanceof UserAuthenticationExpiredError) return "user credentials expired";
  if (error instanceof CredentialsError || error instanceof MissingResourceError)
    return error.message;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ECONNREFUSED" || error.message.includes("ECONNREFUSED")) {
      return "server unreachable (connection refused)";
    }
    return error.message;
  }
  return String(error);
}
