/** The credentials file is missing, unreadable or not a NATS `.creds` file. */
export class CredentialsError extends Error {
  override readonly name = "CredentialsError";
  constructor(
    readonly path: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${path}: ${message}`, options);
  }
}

/** The account's stream or durable consumer is not there, or is not usable as a pull consumer. */
export class MissingResourceError extends Error {
  override readonly name = "MissingResourceError";
}
