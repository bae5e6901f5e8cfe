/**
 * The typed messages between the live-run panel (host) and its webview. No `vscode` import here:
 * the webview bundle imports these types too.
 */
import type { LiveRunMessage } from '../../core/bench/liveRun';
export type { LiveIterationSummary, LiveProgressPoint } from '../../core/bench/liveRun';
/** Made by core's liveRunStart / liveRunUpdate / liveRunDone from the sweep's events. */
export type HostToLiveRun = LiveRunMessage;

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
