import type { DrillBlock, DrillMember, JsonValue, Report } from '../report/model';
import { newReport, plainTextItem, setItem, tableItem } from '../report/items';
import type { ClusterState } from './cluster';
import type { DrillOutcome } from './drill';
import { drillMeasureRows, drillSentence } from '../../protocol/report';

function members(s: ClusterState | undefined): DrillMember[] {
  return (s?.members ?? []).map((m) => ({
    name: m.name,
    role: m.role,
    state: m.state,
    host: m.host,
    port: m.port,
    timeline: m.timeline,
    lagBytes: m.lagBytes,
  }));
}

export function drillBlock(o: DrillOutcome): DrillBlock {
  const m = o.measures;
  return {
    event: o.plan.event,
    method: o.plan.event === 'switchover' ? 'rest' : o.plan.method,
    scope: o.scope,
    runId: o.runId,
    table: `${o.plan.table.schema}.${o.plan.table.name}`,
    synchronousMode: o.before.config.synchronousMode,
    intervalMs: o.plan.intervalMs,
    durationMs: o.plan.durationMs,
    leaderBefore: o.leaderBefore,
    leaderAfter: o.leaderAfter,
    candidate: o.candidate,
    timelineBefore: o.timelineBefore,
    timelineAfter: o.timelineAfter,
    eventStartMs: o.eventStartMs,
    eventEndMs: o.eventEndMs,
    eventResult: o.eventResult,
    settledMs: o.settledMs,
    writeGapMs: m.writeGapMs,
    gapFromMs: m.gapFromMs,
    gapToMs: m.gapToMs,
    reconnectMs: m.reconnectMs,
    attempted: m.attempted,
    acknowledged: m.acknowledged,
    failed: m.failed,
    lost: m.lost,
    lostSeqs: m.lostSeqs,
    inDoubt: m.inDoubt,
    failedConnects: m.failedConnects,
    errorClasses: m.errorClasses,
    firstErrors: o.log.firstErrors,
    series: m.series,
    membersBefore: members(o.before),
    membersAfter: members(o.after),
    notes: o.notes,
  };
}

function memberRows(list: DrillMember[]): JsonValue[][] {
  return list.map((m) => [m.name, m.role, m.state, `${m.host}:${m.port}`, m.timeline ?? null, m.lagBytes ?? null]);
}

/** The drill as a pgops report: pg_perfbench's top level, a drill section, and the measures in pgops.drill. */
export function drillReport(o: DrillOutcome, reportName: string): Report {
  const d = drillBlock(o);
  const report = newReport({
    reportName,
    header: `Failover drill: ${d.event}${d.scope ? ` of ${d.scope}` : ''}`,
    startedAt: new Date(o.startedAt),
    sections: ['drill', 'cluster'],
  });
  report.sections.drill.header = 'Failover drill';
  report.sections.drill.description = drillSentence(d);
  report.sections.cluster.header = 'Cluster';
  report.sections.cluster.description = 'Patroni members before and after the event';
  setItem(
    report,
    'drill',
    'summary',
    tableItem(
      'What the application saw',
      ['measure', 'value'],
      [...drillMeasureRows(d), ['Patroni said', d.eventResult]],
      { state: 'expanded' },
    ),
  );
  setItem(
    report,
    'drill',
    'errors',
    tableItem(
      'Failures by error class',
      ['class', 'count', 'first message'],
      Object.entries(d.errorClasses).map(([k, v]) => [k, v, d.firstErrors[k] ?? null]),
    ),
  );
  if (d.notes.length) setItem(report, 'drill', 'notes', plainTextItem('Notes', d.notes.join('\n')));
  const cols = ['member', 'role', 'state', 'host', 'timeline', 'lag bytes'];
  setItem(report, 'cluster', 'before', tableItem('Before', cols, memberRows(d.membersBefore)));
  setItem(report, 'cluster', 'after', tableItem('After', cols, memberRows(d.membersAfter)));
  const pg = report.pgops!;
  pg.iterName = 'drill';
  pg.drill = d;
  pg.timings = {
    startedAt: o.startedAt,
    finishedAt: o.finishedAt,
    durationMs: Date.parse(o.finishedAt) - Date.parse(o.startedAt),
  };
  return report;
}
