import * as path from 'node:path';
import { checkPgbenchCanSignIn, findPgbench, pgbenchVersionOf } from '../../core/bench/findPgbench';
import type { BenchPlan, PlanSource } from '../../core/bench/plan';
import {
  builtinScripts,
  checkPlanScripts,
  defaultPlan,
  defaultSamplingRate,
  readPlanFile,
  validatePlan,
  writePlanFile,
} from '../../core/bench/plan';
import { needsConsent, planConsentError, reviewPlan } from '../../core/bench/planReview';
import { defaultUndoDir, runSweep } from '../../core/bench/sweep';
import { parseSetFlag } from '../../core/bench/settingValues';
import { checkSweepSettings } from '../../core/bench/settingSweep';
import { localRestarter } from '../../core/bench/serverRestart';
import type { BenchEndpoint } from '../../core/bench/commandLine';
import { PgOpsError } from '../../core/errors';
import type { IterationResult, ProgressPoint } from '../../core/report';
import { defaultReportsFolder, outputFolder, outputLocation, reportFileAt, writeReportFiles } from '../../core/report';
import { cellLabel, hasRepeats, valueSummaries, valueSummaryTable } from '../../core/report/repeats';
import type { CliCommand, CliIo } from '../command';
import { parseFlags, UsageError } from '../command';
import type { ConnFlagValues } from '../conn';
import { connFlags, openCliSessionFrom, resolveCliFlags } from '../conn';
import { formatTable, stderrLogger } from '../output';
import { sshFlags, sshFlagsUsage, sshTargetFromFlags } from '../ssh';

const usage = `pgops bench [--conn <uri|conninfo|service=NAME>] (--clients 1,4,8 --time 10 | --durations 5,10 --clients 4) [options]

Runs one pgbench per iteration value and writes <out>/<report-name>.pgperf.json and .html (or --out FILE.json):
the results, latency percentiles, wait events, top statements and the whole environment.

  --clients LIST|N       client counts to iterate over (or the client count with --durations)
  --durations LIST       durations (s) to iterate over instead of client counts
  --repeat N             run every value N times, back and forth (1 2 4 4 2 1 …): mean, stddev and 95% CI per value
  --set NAME=V1,V2       sweep a server setting (repeatable: every combination is a cell; cells × values × repeats run
                         interleaved). user/superuser/backend settings go to pgbench's sessions only (PGOPTIONS); sighup
                         ones through ALTER SYSTEM + reload, restored at the end (also after Ctrl-C; a killed run is
                         repaired by the next sweep on that server). Each value is checked with SHOW before its cell runs.
  --set-system NAME=V1,V2  the same through ALTER SYSTEM + reload, for a user/superuser setting
  --allow-restart        let a postmaster setting (shared_buffers, …) restart the server for every value; without it such a
                         setting is refused before anything runs
  --time S | --transactions N   -T per iteration, or -t per client
  --threads N            -j (capped at the client count)      --scale N       -s for init (default 1)
  --foreign-keys         init with --foreign-keys              --init once|every-iteration|never
  --builtin NAME[@W]     tpcb-like, simple-update, select-only (repeatable)
  --file PATH[@W]        custom script (repeatable)            --protocol simple|extended|prepared
  --rate TPS             --latency-limit MS                    --no-vacuum
  --pgbench-arg ARG      extra pgbench argument (repeatable)
  --search-path LIST     schemas of pgbench's search_path, first one for init (default public; pg_catalog is always first)
  --init-command T       --workload-command T   templates with ARG_PGBENCH_PATH, ARG_PSQL_PATH, ARG_PG_HOST,
                         ARG_PG_PORT, ARG_PG_USER, ARG_PG_DATABASE, ARG_PGBENCH_CLIENTS, ARG_PGBENCH_TIME, ARG_WORKLOAD_PATH
  --no-checkpoint        no CHECKPOINT before each iteration   --reset-statements  --reset-stats
  --sampling-rate R      per-transaction log sampling (0..1], default ${defaultSamplingRate}   --no-txlog   --keep-logs
  --no-waits             --top N (top statements per iteration, default 10; 0 = none)
  --ssh USER@HOST[:PORT] --ssh-key FILE   collect system facts of a remote database host over SSH
${sshFlagsUsage}  --json                 print {report, html, status, iterations, values} instead of the tables (progress stays on stderr)
                         On a terminal, stderr also shows every second of the running iteration (pgbench --progress).
  --report-name NAME     --out DIR|FILE.json (default ./${defaultReportsFolder}; a FILE names the report, HTML beside it)
  --plan FILE            start from a *.pgbench-plan.json, or the plan of a *.pgperf.json report (flags override it)
  --trust-plan           run a --plan that needs consent: one from a report, with its own initCommand/workloadCommand,
                         or reading a file outside the plan's folder (without it, pgops lists them and runs nothing)
  --save-plan FILE       write the plan (file and flags together) to FILE
  --pgbench PATH         pgbench to use (default: PATH, pg_config --bindir, /usr/lib/postgresql/*/bin)
  --hba-file F           a local copy of the server's pg_hba.conf: a refused connection names its matching line
  -h -p -U -d            psql's host, port, username, dbname; --conn is optional when PG* variables say where
  A --conn that signs in with OAuth is refused: pgbench runs with its own libpq and cannot use the token.`;

const options = {
  ...connFlags,
  clients: { type: 'string' },
  durations: { type: 'string' },
  repeat: { type: 'string' },
  set: { type: 'string', multiple: true },
  'set-system': { type: 'string', multiple: true },
  'allow-restart': { type: 'boolean' },
  time: { type: 'string' },
  transactions: { type: 'string' },
  threads: { type: 'string', short: 'j' },
  scale: { type: 'string' },
  'foreign-keys': { type: 'boolean' },
  init: { type: 'string' },
  builtin: { type: 'string', multiple: true },
  file: { type: 'string', multiple: true },
  protocol: { type: 'string' },
  rate: { type: 'string' },
  'latency-limit': { type: 'string' },
  'no-vacuum': { type: 'boolean' },
  'pgbench-arg': { type: 'string', multiple: true },
  'search-path': { type: 'string' },
  'init-command': { type: 'string' },
  'workload-command': { type: 'string' },
  'no-checkpoint': { type: 'boolean' },
  'reset-statements': { type: 'boolean' },
  'reset-stats': { type: 'boolean' },
  'sampling-rate': { type: 'string' },
  'no-txlog': { type: 'boolean' },
  'keep-logs': { type: 'boolean' },
  'no-waits': { type: 'boolean' },
  top: { type: 'string' },
  ...sshFlags,
  'report-name': { type: 'string' },
  out: { type: 'string' },
  plan: { type: 'string' },
  'trust-plan': { type: 'boolean' },
  'save-plan': { type: 'string' },
  pgbench: { type: 'string' },
  json: { type: 'boolean' },
} as const;

function numberList(v: string, flag: string): number[] {
  const list = v.split(',').map((s) => Number(s.trim()));
  if (list.some((n) => !Number.isInteger(n) || n < 1))
    throw new UsageError(`--${flag} takes positive integers separated by commas, got "${v}"`);
  return list;
}

function num(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${flag} must be a positive number, got "${v}"`);
  return n;
}

function weighted(v: string): { name: string; weight: number } {
  const m = v.match(/^(.*?)(?:@(\d+))?$/);
  return { name: m?.[1] ?? v, weight: m?.[2] ? Number(m[2]) : 1 };
}

type Flags = ReturnType<typeof parseFlags<typeof options>>['values'];

/** The plan: the plan file (if any), then every flag given on top of it; and the file it came from. */
export function planFromFlags(f: Flags, cwd: string): { plan: BenchPlan; source?: PlanSource } {
  const fromFile = f.plan ? readPlanFile(path.resolve(cwd, f.plan)) : undefined;
  const p: Partial<BenchPlan> = fromFile?.plan ?? {};
  if (f.durations) {
    p.iterate = 'time';
    p.values = numberList(f.durations, 'durations');
    if (f.clients) p.clients = numberList(f.clients, 'clients')[0];
  } else if (f.clients) {
    p.iterate = 'clients';
    p.values = numberList(f.clients, 'clients');
  } else if (!f.plan) throw new UsageError('give --clients (or --durations) or --plan');
  if (f.repeat) {
    const n = Number(f.repeat);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--repeat must be a positive integer, got "${f.repeat}"`);
    p.repeat = n;
  }
  if (f.set || f['set-system']) {
    const named = (flag: string, list: string[] | undefined, method?: 'system') =>
      (list ?? []).map((x) => {
        try {
          return { ...parseSetFlag(x, `--${flag}`), ...(method ? { method } : {}) };
        } catch (err) {
          throw new UsageError((err as Error).message);
        }
      });
    p.settings = [...named('set', f.set), ...named('set-system', f['set-system'], 'system')];
  }
  if (f.time) p.durationS = num(f.time, 'time');
  if (f.transactions) {
    p.transactions = num(f.transactions, 'transactions');
    if (!f.time) delete p.durationS;
  }
  if (f.threads) p.threads = num(f.threads, 'threads');
  if (f.scale) p.scale = num(f.scale, 'scale');
  if (f['foreign-keys']) p.foreignKeys = true;
  if (f.init) p.init = f.init as BenchPlan['init'];
  if (f.builtin)
    p.builtin = f.builtin.map((b) => {
      const w = weighted(b);
      if (!(builtinScripts as readonly string[]).includes(w.name))
        throw new UsageError(`--builtin must be one of ${builtinScripts.join(', ')}, got "${w.name}"`);
      return { name: w.name as BenchPlan['builtin'][number]['name'], weight: w.weight };
    });
  if (f.file)
    p.files = f.file.map((x) => {
      const w = weighted(x);
      return { path: path.resolve(cwd, w.name), weight: w.weight };
    });
  if (f.protocol) p.protocol = f.protocol as BenchPlan['protocol'];
  if (f.rate) p.rate = num(f.rate, 'rate');
  if (f['latency-limit']) p.latencyLimitMs = num(f['latency-limit'], 'latency-limit');
  if (f['no-vacuum']) p.noVacuum = true;
  if (f['pgbench-arg']) p.extraArgs = f['pgbench-arg'];
  if (f['search-path']) p.searchPath = f['search-path'].split(',').map((x) => x.trim());
  if (f['init-command']) p.initCommand = f['init-command'];
  if (f['workload-command']) p.workloadCommand = f['workload-command'];
  p.workloadPath ??= cwd;
  const reset = { ...validatePlan({ ...p, values: p.values ?? [1], durationS: p.durationS ?? 1 }).reset };
  if (f['no-checkpoint']) reset.checkpoint = false;
  if (f['reset-statements']) reset.statStatementsReset = true;
  if (f['reset-stats']) reset.statReset = true;
  p.reset = reset;
  p.transactionLog = { ...(p.transactionLog ?? defaultPlan().transactionLog) };
  if (f['sampling-rate']) p.transactionLog.samplingRate = num(f['sampling-rate'], 'sampling-rate') as number;
  if (f['no-txlog']) p.transactionLog.enabled = false;
  if (f['keep-logs']) p.transactionLog.keep = true;
  if (f['no-waits']) p.waits = { ...(p.waits ?? { intervalMs: 200 }), enabled: false };
  if (f.top !== undefined) p.topStatements = Number(f.top);
  if (f['report-name']) p.reportName = f['report-name'];
  return { plan: validatePlan(p), source: fromFile?.source };
}

const r1 = (n: number | null | undefined) => (n === null || n === undefined ? null : Math.round(n * 10) / 10);
const r3 = (n: number | null | undefined) => (n === null || n === undefined ? null : Math.round(n * 1000) / 1000);

export function resultsTable(iterations: IterationResult[]): string {
  const swept = iterations.some((it) => it.settings);
  return formatTable(
    [
      '#',
      ...(swept ? ['settings'] : []),
      'clients',
      'duration s',
      'status',
      'tps',
      'lat avg ms',
      'stddev ms',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'max ms',
      'failed',
    ],
    iterations.map((it) => [
      it.index,
      ...(swept ? [cellLabel(it.settings)] : []),
      it.clients,
      it.durationS ?? null,
      it.status,
      r1(it.tps),
      r3(it.latencyAvgMs),
      r3(it.latencyStddevMs),
      r3(it.percentiles?.p50),
      r3(it.percentiles?.p95),
      r3(it.percentiles?.p99),
      r3(it.percentiles?.max),
      it.failed,
    ]),
  );
}

/** One second of a running iteration, as pgbench's own --progress line says it, for a person at a terminal. */
export function progressLine(
  e: { index: number; value: number; point: ProgressPoint },
  total: number,
  iterate: BenchPlan['iterate'],
): string {
  const what = iterate === 'clients' ? `${e.value} clients` : `${e.value} s`;
  const p = e.point;
  const stddev = p.stddevMs === undefined ? '' : ` stddev ${p.stddevMs.toFixed(3)}`;
  return `  [${e.index + 1}/${total} ${what}] ${p.t.toFixed(1)} s: ${p.tps.toFixed(1)} tps, lat ${p.latencyMs.toFixed(3)} ms${stddev}`;
}

/** The first endpoint the connection flags resolve to, without connecting: what the consent question shows. */
function firstEndpoint(flags: ConnFlagValues, env: NodeJS.ProcessEnv): BenchEndpoint {
  const r = resolveCliFlags(flags, env);
  const h = r.hosts[0];
  return { host: h.hostaddr ?? h.host, port: h.port, user: r.user, database: r.dbname };
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const { values: f } = parseFlags(argv, options);
  resolveCliFlags(f, io.env); // a missing or malformed connection is bad usage, found before anything runs
  if (f['trust-plan'] && !f.plan)
    throw new UsageError('--trust-plan gives consent to the plan of --plan FILE: give --plan too');
  // every input is checked before anything connects, runs or is written
  const { plan, source } = planFromFlags(f, io.cwd);
  const pgbench = findPgbench({ setting: f.pgbench && path.resolve(io.cwd, f.pgbench), env: io.env });
  // A plan read from a file runs (and its scripts are looked at) only as planReview.ts allows, or with --trust-plan.
  // Asked before connecting: the command lines show the first host --conn resolves to.
  if (source && !f['trust-plan']) {
    const review = reviewPlan(
      plan,
      source,
      { path: pgbench.path, version: pgbenchVersionOf(pgbench.path) },
      firstEndpoint(f, io.env),
    );
    if (needsConsent(review)) throw planConsentError(review, '--trust-plan');
  }
  checkPlanScripts(plan);
  const ssh = sshTargetFromFlags(f, io);
  const out = outputLocation(f.out ?? defaultReportsFolder, { flag: '--out', cwd: io.cwd, fileSuffix: '.json' });
  // resolves --conn like libpq (service, pgpass, multi-host) and checks that it connects
  const { client, target, info, reopen } = await openCliSessionFrom(f, io);
  try {
    // a setting the sweep cannot apply (or restore) is refused before anything runs
    if (plan.settings?.length)
      await checkSweepSettings(client, {
        settings: plan.settings,
        allowRestart: f['allow-restart'] ?? false,
        restarter: (c) => localRestarter(c, target.host, target.port),
        host: target.host,
        port: target.port,
      });
  } finally {
    await client.end();
  }
  checkPgbenchCanSignIn(info.authMethod, info.description);
  if (f['save-plan']) writePlanFile(path.resolve(io.cwd, f['save-plan']), plan);
  const abort = new AbortController();
  const onSigint = () => {
    io.err('stopping after the running iteration is cancelled…');
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  let htmlError: string | undefined;
  let total = 0;
  try {
    const report = await runSweep({
      plan,
      target,
      open: reopen,
      pgbenchPath: pgbench.path,
      ssh,
      signal: abort.signal,
      logger: stderrLogger(io),
      keptLogsDir: outputFolder(out),
      allowRestart: f['allow-restart'] ?? false,
      undoDir: defaultUndoDir(io.env),
      onEvent: (e) => {
        if (e.type === 'iteration-start') {
          total = e.total;
          io.err(`iteration ${e.index + 1}/${e.total}: ${e.commandLine}`);
        } else if (e.type === 'phase') io.err(e.message);
        else if (e.type === 'progress' && io.errIsTerminal) io.err(progressLine(e, total, plan.iterate));
      },
      checkpoint: (r) => {
        htmlError = writeReportFiles(reportFileAt(out, r.report_name), r).htmlError;
      },
    });
    const paths = writeReportFiles(reportFileAt(out, report.report_name), report);
    htmlError = paths.htmlError;
    const iterations = report.pgops?.iterations ?? [];
    if (f.json)
      io.out(
        JSON.stringify({
          report: paths.json,
          html: htmlError ? null : paths.html,
          status: report.pgops?.status,
          iterName: report.pgops?.iterName,
          iterations: iterations.map((it) => ({
            index: it.index,
            value: it.value,
            repeat: it.repeat ?? 0,
            ...(it.settings ? { settings: it.settings } : {}),
            clients: it.clients,
            status: it.status,
            tps: it.tps,
            latencyAvgMs: it.latencyAvgMs,
            percentiles: it.percentiles ?? null,
            failed: it.failed,
          })),
          values: valueSummaries(iterations),
        }),
      );
    else {
      io.out(resultsTable(iterations));
      if (hasRepeats(iterations)) {
        const summary = valueSummaryTable(iterations);
        io.out(`\n${formatTable(summary.header, summary.rows)}`);
      }
      io.out(`\nreport: ${paths.json}\nhtml:   ${htmlError ? `not written (${htmlError})` : paths.html}`);
    }
    for (const n of report.pgops?.environmentNotes ?? []) io.err(`note: ${n}`);
    if (report.pgops?.status !== 'complete') {
      const e = report.pgops?.error;
      throw new PgOpsError(
        'bench-run',
        `sweep against ${info.description} ${report.pgops?.status ?? 'failed'}: ${e?.message ?? 'unknown error'}`,
        `${e?.hint ? `${e.hint} ` : ''}The report keeps the finished iterations: ${paths.json}`,
      );
    }
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export const benchCommand: CliCommand = {
  name: 'bench',
  summary: 'run a pgbench sweep and write a JSON + HTML report with the whole environment',
  usage,
  options,
  run,
};
