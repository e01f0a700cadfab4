// The stream, consumer and delivery settings every scenario shares, so streamhook and the baseline
// pull and post under exactly the same limits.

/** Bytes of each drain message's JSON body. */
export const MESSAGE_BYTES = 512;

/** Requests in flight: the baseline's limit and streamhook's global and per-account ones. */
export const CONCURRENCY = 64;

/** Messages pulled ahead per account, by both pipelines. */
export const PULL_BATCH = 256;

/** Large enough that pulling is never capped by the server while a batch is in flight. */
export const MAX_ACK_PENDING = 20_000;

/** Long enough that nothing is redelivered while a run holds messages. */
export const ACK_WAIT_MS = 120_000;

export const STREAM = "EVENTS";
export const SUBJECT = "events.bench";
export const SUBJECTS = ["events.>"] as const;

/** The consumer streamhook drains; the baseline gets its own on the same stream. */
export const DAEMON_CONSUMER = "webhook";
export const baselineConsumer = (round: number): string => `baseline${round}`;
export const daemonConsumer = (round: number): string => `${DAEMON_CONSUMER}${round}`;

/** A Standard Webhooks secret, so streamhook signs every request. */
export const WEBHOOK_SECRET = "whsec_c3RyZWFtaG9vay1iZW5jaG1hcmstc2VjcmV0";

/**
 * A clean stop takes well under a second here; longer means shutdown is stuck, which the scenario
 * reports, so the bench need not wait out the daemon's own shutdown_timeout.
 */
export const STOP_GRACE_MS = 10_000;
