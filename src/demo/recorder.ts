// The demo receiver's behaviour: it refuses the first attempt of each event scripted to fail,
// accepts everything else, and records every request with its verified signature and answer.
import type { RecordedRequest, ScriptedResponse } from "../testing/receiver.js";
import type { SeenDelivery } from "./expectations.js";
import { checkSignature } from "./signature.js";

/** The answer to the first attempt of an event scripted to fail: retryable, as outages are. */
export const SCRIPTED_FAILURE_STATUS = 503;

function parseBody(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function attemptOf(header: string | undefined): number | undefined {
  return header !== undefined && /^\d+$/.test(header) ? Number(header) : undefined;
}

export function seenDelivery(
  request: RecordedRequest,
  status: number,
  secret: string,
): SeenDelivery {
  const body = parseBody(request.text);
  const demoId = body?.demo_id;
  return {
    eventId: typeof demoId === "string" ? demoId : undefined,
    account: request.headers["streamhook-account"],
    tenantHeader: request.headers["streamhook-tenant"],
    bodyTenant: body?.tenant_id,
    type: body?.type,
    attempt: attemptOf(request.headers["streamhook-attempt"]),
    webhookId: request.headers["webhook-id"],
    signature: checkSignature(secret, request.headers, request.body),
    status,
  };
}

export class DeliveryRecorder {
  readonly deliveries: SeenDelivery[] = [];
  private readonly failedOnce = new Set<string>();

  constructor(
    private readonly secret: string,
    /** Event ids whose first request is answered with SCRIPTED_FAILURE_STATUS. */
    private readonly failFirst: ReadonlySet<string>,
    private readonly onDelivery: (delivery: SeenDelivery) => void,
  ) {}

  /** The receiver's script: decides the answer, then records the request with it. */
  answer(request: RecordedRequest): ScriptedResponse {
    const seen = seenDelivery(request, 200, this.secret);
    const id = seen.eventId;
    // Keyed on the event, not on the attempt header, so a wrong attempt number is still caught.
    const fail = id !== undefined && this.failFirst.has(id) && !this.failedOnce.has(id);
    if (fail) this.failedOnce.add(id);
    const delivery = fail ? { ...seen, status: SCRIPTED_FAILURE_STATUS } : seen;
    this.deliveries.push(delivery);
    this.onDelivery(delivery);
    return { status: delivery.status };
  }
}
