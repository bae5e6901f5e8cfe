import type { DrillBlock } from '../report/model';
import type { WriterLog } from './probeWriter';

/** What the application saw during a drill, computed from the writer's log and the read-back (fields as in the report). */
export type DrillMeasures = Pick<
  DrillBlock,
  | 'attempted'
  | 'acknowledged'
  | 'failed'
  | 'lost'
  | 'lostSeqs'
  | 'inDoubt'
  | 'writeGapMs'
  | 'gapFromMs'
  | 'gapToMs'
  | 'reconnectMs'
  | 'failedConnects'
  | 'errorClasses'
  | 'series'
>;

export const seriesStepMs = 100;

export function measureDrill(log: WriterLog, present: Set<number>, eventStartMs: number): DrillMeasures {
  const acked = log.writes.filter((w) => w.ackMs !== undefined);
  const failedWrites = log.writes.filter((w) => w.ackMs === undefined);
  const lostSeqs = acked.filter((w) => !present.has(w.seq)).map((w) => w.seq);
  const errorClasses: Record<string, number> = {};
  for (const e of [...failedWrites.map((w) => w.error), ...log.connects.filter((c) => !c.ok).map((c) => c.error)])
    errorClasses[e ?? 'error'] = (errorClasses[e ?? 'error'] ?? 0) + 1;

  // the outage: the longest stretch between consecutive acknowledgements that ends after the event started
  let gap: { from: number; to: number } | undefined;
  for (let i = 1; i < acked.length; i++) {
    const from = acked[i - 1].ackMs!;
    const to = acked[i].ackMs!;
    if (to < eventStartMs) continue;
    if (!gap || to - from > gap.to - gap.from) gap = { from, to };
  }

  const firstFailure = Math.min(
    ...failedWrites.filter((w) => w.sentMs >= eventStartMs).map((w) => w.sentMs),
    ...log.connects.filter((c) => !c.ok && c.atMs >= eventStartMs).map((c) => c.atMs),
  );
  const reconnect = Number.isFinite(firstFailure) ? log.connects.find((c) => c.ok && c.atMs > firstFailure) : undefined;

  const end = Math.max(0, ...log.writes.map((w) => w.ackMs ?? w.sentMs), ...log.connects.map((c) => c.doneMs));
  const series: DrillMeasures['series'] = [];
  for (let t = 0; t <= end; t += seriesStepMs) series.push({ tMs: t, ok: 0, failed: 0 });
  const bucket = (ms: number) => series[Math.min(series.length - 1, Math.floor(ms / seriesStepMs))];
  for (const w of acked) bucket(w.ackMs!).ok++;
  for (const w of failedWrites) bucket(w.sentMs).failed++;
  for (const c of log.connects.filter((x) => !x.ok)) bucket(c.atMs).failed++;

  return {
    attempted: log.writes.length,
    acknowledged: acked.length,
    failed: failedWrites.length,
    lost: lostSeqs.length,
    lostSeqs: lostSeqs.slice(0, 100),
    inDoubt: {
      present: failedWrites.filter((w) => present.has(w.seq)).length,
      absent: failedWrites.filter((w) => !present.has(w.seq)).length,
    },
    writeGapMs: gap ? gap.to - gap.from : undefined,
    gapFromMs: gap?.from,
    gapToMs: gap?.to,
    reconnectMs: reconnect ? reconnect.doneMs - firstFailure : undefined,
    failedConnects: log.connects.filter((c) => !c.ok).length,
    errorClasses,
    series,
  };
}
