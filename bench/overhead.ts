/**
 * `npm run bench:overhead`: what pgops' observation costs pgbench. On one dedicated PostgreSQL
 * server (started here, stopped at the end), alternating rounds run
 *   raw:   pgbench -c C -j J -T S -n                (nothing else)
 *   pgops: the same pgbench through runSweep: + -P 1 progress parsing, -l per-transaction log,
 *          --failures-detailed, wait-event sampling at 5 Hz, pg_stat_statements snapshots
 * each after a CHECKPOINT, in ABBA order (raw first in even rounds, pgops first in odd ones) so a
 * drift of the machine over time cancels out. The builtin select-only script is the default because
 * its short transactions make any per-transaction cost (progress, logging) show the most.
 * Prints every round's tps, the ratio of the means and the median of the per-round ratios, and the
 * CPU time this process spent while pgbench ran (a figure the load of a shared machine does not blur).
 * Settings: OVERHEAD_ROUNDS (6), OVERHEAD_SECONDS (10), OVERHEAD_CLIENTS (4), OVERHEAD_SCALE (10),
 * OVERHEAD_BUILTIN (select-only | tpcb-like | simple-update), OVERHEAD_LOG_SAMPLING (1: pgbench -l logs every
 * transaction; a fraction sets --sampling-rate; 0 turns the per-transaction log, and so the percentiles, off).
 */
import { findPgbench } from '../src/core/bench/findPgbench';
import { parsePgbenchOutput } from '../src/core/bench/pgbenchOutput';
import { defaultPlan, validatePlan } from '../src/core/bench/plan';
import { runProcess, withPgpass } from '../src/core/bench/processRunner';
import { runSweep } from '../src/core/bench/sweep';
import { availableBinaries, startTestServer } from '../test/support/servers';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

async function main(): Promise<void> {
  const rounds = env('OVERHEAD_ROUNDS', 6);
  const builtin = (process.env.OVERHEAD_BUILTIN ?? 'select-only') as 'select-only' | 'tpcb-like' | 'simple-update';
  const seconds = env('OVERHEAD_SECONDS', 10);
  const clients = env('OVERHEAD_CLIENTS', 4);
  const scale = env('OVERHEAD_SCALE', 10);
  const threads = Math.min(2, clients);
  // the default plan's rate unless asked otherwise (0: no per-transaction log)
  const logSampling = env('OVERHEAD_LOG_SAMPLING', defaultPlan().transactionLog.samplingRate);
  const pgbench = findPgbench().path;
  const binaries = availableBinaries().find((b) => b.major === 15) ?? availableBinaries().at(-1);
  if (!binaries) throw new Error('no PostgreSQL server binaries found');
  const server = await startTestServer(binaries);
  try {
    const t = server.target();
    const conn = ['-h', t.host, '-p', String(t.port), '-U', t.user, t.database];
    const admin = await server.admin();
    const raw: number[] = [];
    const pgops: number[] = [];
    const cpu: number[] = [];
    await withPgpass(t, async (pgEnv) => {
      const init = await runProcess(
        { program: pgbench, args: ['-i', '-s', String(scale), '-q', ...conn] },
        { env: pgEnv },
      );
      if (init.exitCode !== 0) throw new Error(init.stderr);
      const plan = validatePlan({
        values: [clients],
        durationS: seconds,
        threads,
        init: 'never',
        noVacuum: true,
        builtin: [{ name: builtin, weight: 1 }],
        reset: { checkpoint: true, statStatementsReset: false, statReset: false },
        transactionLog:
          logSampling > 0
            ? { enabled: true, samplingRate: logSampling, keep: false }
            : { enabled: false, samplingRate: 1, keep: false },
      });
      console.log(
        `PostgreSQL ${binaries.major}, ${pgbench}, scale ${scale}, -b ${builtin} -c ${clients} -j ` +
          `${threads} -T ${seconds}, ${rounds} rounds (ABBA), transaction log ` +
          `${logSampling > 0 ? `sampling ${logSampling}` : 'off'}`,
      );
      const runRaw = async () => {
        await admin.query('CHECKPOINT');
        const r = await runProcess(
          {
            program: pgbench,
            args: ['-b', builtin, '-c', String(clients), '-j', String(threads), '-T', String(seconds), '-n', ...conn],
          },
          { env: pgEnv },
        );
        const tps = parsePgbenchOutput(r.stdout).tps;
        if (r.exitCode !== 0 || tps === undefined) throw new Error(`raw pgbench failed: ${r.stderr}`);
        return tps;
      };
      const runPgops = async () => {
        // CPU of this process while pgbench runs (progress parsing, wait sampling): independent of machine load
        let cpuStart: NodeJS.CpuUsage | undefined;
        let cpu: NodeJS.CpuUsage | undefined;
        const report = await runSweep({
          plan,
          target: t,
          pgbenchPath: pgbench,
          onEvent: (e) => {
            if (e.type === 'iteration-start') cpuStart = process.cpuUsage();
            if (e.type === 'iteration-end') cpu = process.cpuUsage(cpuStart);
          },
        });
        const it = report.pgops?.iterations[0];
        if (report.pgops?.status !== 'complete' || !it?.tps)
          throw new Error(`pgops bench failed: ${report.pgops?.error?.message}`);
        const cpuMs = cpu ? (cpu.user + cpu.system) / 1000 : NaN;
        return {
          tps: it.tps,
          points: it.series?.length ?? 0,
          samples: it.waitEvents?.reduce((a, w) => a + w.samples, 0) ?? 0,
          cpuMs,
        };
      };
      for (let round = 1; round <= rounds; round++) {
        let rawTps: number;
        let ours: Awaited<ReturnType<typeof runPgops>>;
        if (round % 2 === 1) {
          rawTps = await runRaw();
          ours = await runPgops();
        } else {
          ours = await runPgops();
          rawTps = await runRaw();
        }
        raw.push(rawTps);
        pgops.push(ours.tps);
        cpu.push(ours.cpuMs);
        console.log(
          `round ${round}: raw ${rawTps.toFixed(1)} tps, pgops ${ours.tps.toFixed(1)} tps, ratio ` +
            `${(ours.tps / rawTps).toFixed(4)} (${ours.points} progress points, ${ours.samples} wait ` +
            `samples, pgops CPU ${ours.cpuMs.toFixed(0)} ms)`,
        );
      }
    });
    await admin.end();
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const ratio = mean(pgops) / mean(raw);
    const ratios = pgops.map((p, i) => p / raw[i]).sort((a, b) => a - b);
    const median =
      ratios.length % 2
        ? ratios[(ratios.length - 1) / 2]
        : (ratios[ratios.length / 2 - 1] + ratios[ratios.length / 2]) / 2;
    console.log(
      `mean raw ${mean(raw).toFixed(1)} tps, mean pgops ${mean(pgops).toFixed(1)} tps, ratio of ` +
        `means ${ratio.toFixed(4)} (overhead ${((1 - ratio) * 100).toFixed(2)}%), median per-round ` +
        `ratio ${median.toFixed(4)}`,
    );
    console.log(
      `pgops process CPU while pgbench ran: mean ${mean(cpu).toFixed(0)} ms per ${seconds} s ` +
        `iteration (${(mean(cpu) / (seconds * 10)).toFixed(2)}% of one core)`,
    );
  } finally {
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
