/** Messages between the live-run panel (host) and its webview (webview/liveRun). */
import type { Fields } from './guards';
import { isArrayOf, isBareMessage, isNumber, isNumberOrNull, isRecord, isString } from './guards';

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
  return isBareMessage(m, ['ready']);
}

const isIndex = (v: unknown): v is number => isNumber(v) && Number.isInteger(v) && v >= 0 && v < 10_000;

function isPoint(p: unknown): p is LiveProgressPoint {
  return isRecord(p) && isNumber(p.t) && isNumber(p.tps) && isNumber(p.latencyMs);
}

function isSummary(s: unknown): s is LiveIterationSummary {
  return (
    isRecord(s) &&
    isIndex(s.index) &&
    isNumber(s.value) &&
    isString(s.status) &&
    isNumberOrNull(s.tps) &&
    isNumberOrNull(s.latencyAvgMs) &&
    isNumberOrNull(s.p95Ms)
  );
}

const hostToLiveRun: Record<HostToLiveRun['type'], (m: Fields) => boolean> = {
  start: (m) => isString(m.title) && isString(m.iterName) && isArrayOf(m.values, isNumber),
  phase: (m) => isString(m.message),
  'iteration-start': (m) => isIndex(m.index) && isNumber(m.value) && isString(m.commandLine),
  progress: (m) => isIndex(m.index) && isPoint(m.point),
  'iteration-end': (m) => isSummary(m.summary),
  done: (m) => isString(m.status) && isString(m.message),
};

/** Checks a message from the host before the webview renders it. */
export function isHostToLiveRun(m: unknown): m is HostToLiveRun {
  return (
    isRecord(m) &&
    isString(m.type) &&
    Object.hasOwn(hostToLiveRun, m.type) &&
    hostToLiveRun[m.type as HostToLiveRun['type']](m)
  );
}
