import type { Dispatcher } from "undici";
import type { DeliveryOutcome } from "./outcome.js";

/** A response body that went past the limit; its connection is cut, which ends the request. */
export class ResponseTooLargeError extends Error {
  override readonly name = "ResponseTooLargeError";
}

/**
 * Reads one webhook response straight off undici's dispatcher: the status, the first
 * `retry-after`, and the body counted and dropped as it arrives. `request()` would wrap every
 * response in a readable stream and a promise only for the body to be dumped; measured, that
 * wrapper cost about as much as signing the request.
 *
 * Reports exactly once: when the body ends, when it passes `maxBody` (the outcome is the status,
 * and the connection is cut so a receiver that sends megabytes gets no keep-alive), or when the
 * request fails before either (timeouts, resets, shutdown).
 */
export class ResponseReader implements Dispatcher.DispatchHandler {
  readonly #maxBody: number;
  readonly #report: (outcome: DeliveryOutcome) => void;
  readonly #classify: (error: unknown) => DeliveryOutcome;
  #status = 0;
  #retryAfter: string | undefined;
  #received = 0;
  #reported = false;

  constructor(
    maxBody: number,
    report: (outcome: DeliveryOutcome) => void,
    classify: (error: unknown) => DeliveryOutcome,
  ) {
    this.#maxBody = maxBody;
    this.#report = report;
    this.#classify = classify;
  }

  onRequestStart(): void {
    // Nothing to set up: the request carries no state of its own.
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
