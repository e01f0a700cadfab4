// What the connected nats-server supports, from the version its INFO announces.

/**
 * Whether a server of this version takes `+TERM <reason>`. nats-server 2.10 added it and puts the
 * reason in the consumer's MSG_TERMINATED advisory; 2.9 does not recognise the longer form at all
 * and leaves the message pending until `ack_wait`, so there it is a plain `+TERM`.
 */
export function takesTermReason(version: string | undefined): boolean {
  const [major = 0, minor = 0] = (version ?? "")
    .split(".")
    .map((part) => Number.parseInt(part, 10));
  return major > 2 || (major === 2 && minor >= 10);
}
