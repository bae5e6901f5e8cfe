/**
 * The typed messages between the live-run panel (host) and its webview. No `vscode` import here:
 * the webview bundle imports these types too.
 */
export interface LiveProgressPoint {
  t: number;
  tps: number;
  latencyMs: number;
}

export interface LiveIterationSummary {
  index: number;
  value: number;
  status: string;
  tps: number | null;
  latencyAvgMs: number | null;
  p95Ms: number | null;
}

export type HostToLiveRun =
  | { type: 'start'; title: string; iterName: string; values: number[] }
  | { type: 'phase'; message: string }
  | { type: 'iteration-start'; index: number; value: number; commandLine: string }
  | { type: 'progress'; index: number; point: LiveProgressPoint }
  | { type: 'iteration-end'; summary: LiveIterationSummary }
  | { type: 'done'; status: string; message: string };

export type LiveRunToHost = { type: 'ready' };

/** Checks a message from the webview before the host acts on it. */
export function isLiveRunToHost(m: unknown): m is LiveRunToHost {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'ready';
}

/** Checks a message from the host before the webview renders it. */
export function isHostToLiveRun(m: unknown): m is HostToLiveRun {
  if (typeof m !== 'object' || m === null) return false;
  const t = (m as { type?: unknown }).type;
  return (
    t === 'start' ||
    t === 'phase' ||
    t === 'iteration-start' ||
    t === 'progress' ||
    t === 'iteration-end' ||
    t === 'done'
  );
}
