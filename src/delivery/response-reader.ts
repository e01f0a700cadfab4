import type { Dispatcher } from "undici";
import type { DeliveryOutcome } from "./outcome.js";

/** A response body that went past the limit; its connection is cut, which ends the request. */
export class ResponseTooLargeError extends Error {
  override readonly name = "ResponseTooLargeError";
}

/** The attempt's deadline passed; its connection is cut, which ends the request. */
export class DeadlineExceededError extends Error {
  override readonly name = "DeadlineExceededError";
}

/**
 * Reads one webhook response straight off undici's dispatcher: the status, the first
 * `retry-after`, and the body counted and dropped as it arrives. `request()` would wrap every
 * response in a readable stream and a promise only for the body to be dumped; measured, that
 * wrapper cost about as much as signing the request.
 *
 * Reports exactly once: when the body ends, when it passes `maxBody` (the outcome is the status,
 * and the connection is cut so a receiver that sends megabytes gets no keep-alive), when the
 * attempt's deadline passes (`expire`), or when the request fails before any of these (resets,
 * shutdown).
 */
export class ResponseReader implements Dispatcher.DispatchHandler {
  readonly #maxBody: number;
  readonly #report: (outcome: DeliveryOutcome) => void;
  readonly #classify: (error: unknown) => DeliveryOutcome;
  #status = 0;
  #retryAfter: string | undefined;
  #received = 0;
  #reported = false;
  #controller: Dispatcher.DispatchController | undefined;
  #expired = false;

  constructor(
    maxBody: number,
    report: (outcome: DeliveryOutcome) => void,
    classify: (error: unknown) => DeliveryOutcome,
  ) {
    this.#maxBody = maxBody;
    this.#report = report;
    this.#classify = classify;
  }

  get reported(): boolean {
    return this.#reported;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    // Expired while it waited for a connection: it never reaches the receiver.
    if (this.#expired) controller.abort(new DeadlineExceededError("deadline passed"));
    else this.#controller = controller;
  }

  /**
   * The attempt's deadline: a status line that arrived in time decides the outcome, and the rest
   * of its body is not waited for; without one, the attempt timed out. Either way the connection
   * is cut, so a receiver that trickles bytes or loops on `1xx` holds nothing longer.
   */
  expire(deadlineMs: number): void {
    if (this.#reported) return;
    this.#expired = true;
    if (this.#status >= 200) {
      this.#reportResponse();
    } else {
      this.#reported = true;
      this.#report({
        kind: "timeout",
        error: `no response within the deadline of ${deadlineMs} ms`,
      });
    }
    this.#controller?.abort(new DeadlineExceededError(`deadline of ${deadlineMs} ms passed`));
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    // 1xx responses are informational and come before the real one.
    if (statusCode < 200) return;
    this.#status = statusCode;
    const retryAfter = headers["retry-after"];
    this.#retryAfter = Array.isArray(retryAfter) ? retryAfter[0] : retryAfter;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#received += chunk.length;
    if (this.#received > this.#maxBody && !this.#reported) {
      this.#reportResponse();
      controller.abort(new ResponseTooLargeError(`response body over ${this.#maxBody} bytes`));
    }
  }

  onResponseEnd(): void {
    this.#reportResponse();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.#reported) return;
    this.#reported = true;
    this.#report(this.#classify(error));
  }

  #reportResponse(): void {
    if (this.#reported) return;
    this.#reported = true;
    this.#report({ kind: "response", status: this.#status, retryAfter: this.#retryAfter });
  }
}
