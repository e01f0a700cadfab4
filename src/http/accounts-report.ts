import type { SupervisedAccount } from "../accounts/supervisor.js";
import type { BreakerState } from "../delivery/breaker.js";
import type { AccountFigures } from "../observability/metrics.js";

/** One element of `GET /accounts` (SPEC section 6). Unknown values are null, never guessed. */
export interface AccountReport {
  readonly name: string;
  readonly tenant_id: string | null;
  readonly state: string;
  readonly reason: string | null;
  readonly stream: string | null;
  readonly consumer: string | null;
  readonly pending: number | null;
  readonly ack_pending: number | null;
  readonly delivered: number;
  readonly failed: number;
  readonly dead_lettered: number;
  readonly breaker: BreakerState;
}

export interface AccountsReportSources {
  readonly accounts: () => SupervisedAccount[];
  readonly figures: (account: string) => AccountFigures;
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/**
 * Built from the supervisor's view and the metrics' counters. Reasons are the short texts the
 * runners set (error classes, file paths, server answers) and never carry a secret.
 */
export function accountsReport(sources: AccountsReportSources): AccountReport[] {
  return sources.accounts().map((a) => {
    const figures = sources.figures(a.name);
    const origin = a.config === undefined ? undefined : originOf(a.config.webhook.url);
    return {
      name: a.name,
      tenant_id: a.config?.tenantId ?? null,
      state: a.state,
      reason: a.reason ?? a.configError ?? null,
      stream: a.config?.stream ?? null,
      consumer: a.config?.consumer ?? null,
      pending: figures.backlog?.pending ?? null,
      ack_pending: figures.backlog?.ackPending ?? null,
      delivered: figures.delivered,
      failed: figures.failed,
      dead_lettered: figures.deadLettered,
      breaker: (origin === undefined ? undefined : a.breakers.get(origin)) ?? "closed",
    };
  });
}
