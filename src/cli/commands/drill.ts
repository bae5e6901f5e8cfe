import { databaseHostShell } from '../../core/bench/hostShell';
import { PgOpsError } from '../../core/errors';
import type { DrillEvent, FailoverMethod } from '../../core/ha/drill';
import { defaultDrillPlan, runDrill } from '../../core/ha/drill';
import { drillReport } from '../../core/ha/drillReport';
import { drillMeasureRows, drillSentence } from '../../protocol/report';
import { loadCluster } from '../../core/ha/cluster';
import { defaultDrillTable } from '../../core/ha/probeWriter';
import { defaultReportsFolder, outputLocation, reportFileAt, writeReportFiles } from '../../core/report';
import type { CliCommand } from '../command';
import { intFlag, parseFlags, requireFlag, UsageError } from '../command';
import { connFlags, openCliSession } from '../conn';
import { formatTable } from '../output';
import { confirmOnCluster, patroniEndpointFromFlags, patroniFlags, patroniFlagsUsage } from '../patroni';
import { sshFlags, sshFlagsUsage, sshTargetFromFlags } from '../ssh';

const events = ['switchover', 'failover'] as const;

const options = {
  ...patroniFlags,
  ...connFlags,
  ...sshFlags,
  candidate: { type: 'string' },
  kill: { type: 'string' },
  duration: { type: 'string' },
  'interval-ms': { type: 'string' },
  'event-at': { type: 'string' },
  table: { type: 'string' },
  'keep-rows': { type: 'boolean' },
  'report-name': { type: 'string' },
  out: { type: 'string' },
  scope: { type: 'string' },
  yes: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

function killMethod(v: string | undefined): FailoverMethod {
  if (v === undefined) return 'rest';
  if (v === 'postmaster') return 'kill-postmaster';
  if (v === 'node') return 'kill-node';
  throw new UsageError(`--kill takes postmaster or node, got "${v}"`);
}

function tableFlag(v: string | undefined) {
  if (v === undefined) return defaultDrillTable;
  const m = /^([^.]+)\.([^.]+)$/.exec(v);
  if (!m) throw new UsageError(`--table takes SCHEMA.NAME, got "${v}"`);
  return { schema: m[1], name: m[2] };
}

export const drillCommand: CliCommand = {
  name: 'drill',
  summary:
    'a switchover or failover under a probe writer: the write gap, reconnection and lost writes an application sees',
  actions: events,
  usage:
    'pgops drill switchover|failover --patroni URL[,URL] --conn C [options]\n' +
    "  The probe writer connects like an application: C's hosts (list every member) with target_session_attrs=read-write,\n" +
    '  inserting numbered rows into a drill table every --interval-ms and reconnecting after each failure. The event\n' +
    '  fires at --event-at; afterwards the rows are read back from the new leader: acknowledged writes missing there are\n' +
    "  lost. The drill's rows are deleted at the end (the table stays). A report is written like pgops bench's.\n" +
    '  switchover          POST /switchover to --candidate (default: a sync standby, else a running replica)\n' +
    '  failover            POST /failover to --candidate; or, on a test cluster, --kill postmaster|node:\n' +
    "                      SIGKILL of the leader's postmaster, or of its Patroni and postmaster (a crashed node), on\n" +
    '                      this machine or over --ssh; needs --scope NAME (the typed scope name) even with --yes\n' +
    '  --duration S        how long the writer runs (default 20; longer when the cluster needs it to recover)\n' +
    '  --interval-ms N     between inserts (default 100)   --event-at S   when the event fires (default 3)\n' +
    '  --table SCHEMA.NAME the drill table (default public.pgops_drill), created when missing\n' +
    "  --keep-rows         leave the drill's rows (run_id in the report) to count them yourself\n" +
    '  --report-name N  --out DIR|FILE.pgperf.json   where the report goes (default ./pgbench-reports)\n' +
    '  --yes               confirm without asking; --scope NAME confirms with the typed scope name\n' +
    '  --json              {report, downtimeMs, reconnectMs, acknowledgedWrites, lostWrites, newLeader, ...}\n' +
    patroniFlagsUsage +
    '  --ssh USER@HOST[:PORT] --ssh-key FILE   where the leader runs, for --kill on another machine\n' +
    sshFlagsUsage,
  options,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, options, true);
    const event = positionals[0] as DrillEvent | undefined;
    if (!event || !events.includes(event)) throw new UsageError(`drill needs switchover or failover`);
    if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
    const method = killMethod(values.kill);
    if (method !== 'rest' && event !== 'failover') throw new UsageError('--kill goes with drill failover');
    requireFlag(values.conn ?? values.host, 'conn');
    const plan = {
      ...defaultDrillPlan,
      event,
      method,
      candidate: values.candidate,
      durationMs: intFlag(values.duration, 'duration', defaultDrillPlan.durationMs / 1000) * 1000,
      intervalMs: intFlag(values['interval-ms'], 'interval-ms', defaultDrillPlan.intervalMs),
      eventAtMs: intFlag(values['event-at'], 'event-at', defaultDrillPlan.eventAtMs / 1000) * 1000,
      table: tableFlag(values.table),
      keepRows: values['keep-rows'] ?? false,
    };
    if (plan.intervalMs < 10) throw new UsageError('--interval-ms must be at least 10');
    if (event === 'failover' && method === 'rest' && !values.candidate)
      throw new UsageError('drill failover through the REST API needs --candidate NAME (Patroni promotes that member)');
    const ssh = sshTargetFromFlags(values, io);
    const out = outputLocation(values.out ?? defaultReportsFolder, { flag: '--out', cwd: io.cwd, fileSuffix: '.json' });
    const endpoint = patroniEndpointFromFlags(values, io);
    const state = await loadCluster(endpoint);
    const ok = await confirmOnCluster(io, {
      question:
        `Run a ${event} drill on ${state.scope ?? 'the cluster'} (leader ${state.leader ?? 'none'})` +
        (method === 'rest'
          ? ''
          : ` by SIGKILL of its ${method === 'kill-node' ? 'Patroni and postmaster' : 'postmaster'}`),
      scope: state.scope,
      typedScope: values.scope,
      needsTypedScope: method !== 'rest' || values.scope !== undefined,
      yes: values.yes,
    });
    if (!ok) {
      io.err(`pgops drill ${event}: not confirmed; nothing done`);
      return 1;
    }
    const abort = new AbortController();
    const onSigint = () => abort.abort();
    process.on('SIGINT', onSigint);
    try {
      const outcome = await runDrill(plan, {
        endpoint,
        signal: abort.signal,
        progress: (line) => io.err(line),
        openWriter: async () => {
          const s = await openCliSession(
            values,
            io,
            { applicationName: 'pgops drill', readOnly: false, statementTimeoutMs: 2000, lockTimeoutMs: 1000 },
            {
              hbaFile: values['hba-file'],
              adjust: (r) => ({ ...r, targetSessionAttrs: 'read-write', connectTimeoutMs: r.connectTimeoutMs ?? 2000 }),
            },
          );
          return { client: s.client, server: `${s.info.host.host}:${s.info.host.port}` };
        },
        leaderShell: async (leader) => {
          const shell = await databaseHostShell(leader.host, ssh);
          if (typeof shell === 'string')
            throw new PgOpsError(
              'drill-kill',
              `Cannot kill the leader: ${shell}`,
              'Give --ssh USER@HOST of the leader.',
            );
          return shell;
        },
      });
      const name = values['report-name'] ?? `drill-${event}-${outcome.startedAt.replace(/[:.]/g, '-')}`;
      const report = drillReport(outcome, name);
      const paths = writeReportFiles(reportFileAt(out, report.report_name), report);
      const d = report.pgops!.drill!;
      if (values.json)
        io.out(
          JSON.stringify({
            report: paths.json,
            runId: d.runId,
            event: d.event,
            method: d.method,
            downtimeMs: d.writeGapMs ?? null,
            reconnectMs: d.reconnectMs ?? null,
            acknowledgedWrites: d.acknowledged,
            lostWrites: d.lost,
            failedWrites: d.failed,
            inDoubt: d.inDoubt,
            oldLeader: d.leaderBefore,
            newLeader: d.leaderAfter ?? null,
            timelineBefore: d.timelineBefore ?? null,
            timelineAfter: d.timelineAfter ?? null,
            errorClasses: d.errorClasses,
          }),
        );
      else {
        io.out(drillSentence(d));
        io.out(formatTable(['measure', 'value'], [...drillMeasureRows(d), ['Patroni said', d.eventResult]]));
        io.out(`report: ${paths.json}`);
      }
      return 0;
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
  },
};
