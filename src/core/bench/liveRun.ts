/**
 * What the live-run panel and the progress notification show of a running sweep, derived from the
 * sweep's events: a pure mapping, so the adapter only posts what it returns.
 */
import type { Report } from '../report/model';
import type { BenchPlan } from './plan';
import { sweepSchedule } from './plan';
import type { SweepEvent } from './sweep';

import type { HostToLiveRun, LiveIterationSummary, LiveProgressPoint } from '../../protocol/liveRun';

export type { LiveIterationSummary, LiveProgressPoint };
/** Every message the live-run panel draws from (the host posts them; the webview validates them). */
export type LiveRunMessage = HostToLiveRun;
/** The sweep's outcome, the panel's last message. */
export type LiveRunDone = Extract<HostToLiveRun, { type: 'done' }>;

/** One sweep event as the user sees it: the panel's message, and the notification's line when it changes. */
export interface LiveRunUpdate {
  message: LiveRunMessage;
  progress?: { message: string; increment?: number };
}

/** The report's name for what the sweep iterates over (pg_perfbench's `pgbench_clients` / `pgbench_time`). */
export function iterationName(plan: Pick<BenchPlan, 'iterate'>): string {
  return plan.iterate === 'clients' ? 'pgbench_clients' : 'pgbench_time';
}

/** The panel's first message: what runs where, and the value of every iteration it will run (repeats included). */
export function liveRunStart(plan: Pick<BenchPlan, 'iterate' | 'values' | 'repeat'>, where: string): LiveRunMessage {
  const values = sweepSchedule(plan).map((run) => run.value);
  return { type: 'start', title: `pgbench sweep on ${where}`, iterName: iterationName(plan), values };
}

export function liveRunUpdate(e: SweepEvent, plan: Pick<BenchPlan, 'iterate'>): LiveRunUpdate {
  switch (e.type) {
    case 'phase':
      return { message: { type: 'phase', message: e.message }, progress: { message: e.message } };
    case 'iteration-start':
      return {
        message: { type: 'iteration-start', index: e.index, value: e.value, commandLine: e.commandLine },
        progress: {
          message: `iteration ${e.index + 1}/${e.total}: ${plan.iterate} ${e.value}`,
          // the last share is the report itself
          increment: 100 / (e.total + 1),
        },
      };
    case 'progress':
      return {
        message: {
          type: 'progress',
          index: e.index,
          point: { t: e.point.t, tps: e.point.tps, latencyMs: e.point.latencyMs },
        },
      };
    case 'iteration-end': {
      const r = e.result;
      return {
        message: {
          type: 'iteration-end',
          summary: {
            index: r.index,
            value: r.value,
            status: r.status,
            tps: r.tps,
            latencyAvgMs: r.latencyAvgMs,
            p95Ms: r.percentiles?.p95 ?? null,
          },
        },
      };
    }
  }
}

/** The panel's last message: the sweep's outcome from its report, or the error that stopped it. */
export function liveRunDone(outcome: { report: Report } | { error: unknown }): LiveRunDone {
  if ('error' in outcome) {
    const e = outcome.error;
    return { type: 'done', status: 'failed', message: e instanceof Error ? e.message : String(e) };
  }
  const p = outcome.report.pgops;
  return {
    type: 'done',
    status: p?.status ?? 'failed',
    message: p?.error?.message ?? `${p?.iterations.length ?? 0} iterations`,
  };
}
