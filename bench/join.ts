/**
 * bench:join — joins 50 reports of about 200 KB each (read, validate, compare, merge, write JSON)
 * and prints the time. The baseline is the bare minimum any join needs: JSON.parse of every file
 * and JSON.stringify of one merged object. Both run alternately in this process, 5 rounds each.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  newReport,
  pgbenchOutputsItem,
  plainTextItem,
  setItem,
  tableFromObjects,
  tableItem,
} from '../src/core/report/items';
import { joinReports } from '../src/core/report/join';
import { loadReportsFromDir } from '../src/core/report/loadDir';
import type { IterationResult, Report } from '../src/core/report/model';
import { writeReportAtomic } from '../src/core/report/write';
import { median } from './timing';

const reportCount = 50;
const targetBytes = 200 * 1024;

/** A report shaped like a real one: ~360 pg_settings rows, lshw tables with nested objects, sysctl text. */
function syntheticReport(i: number): Report {
  const r = newReport({
    reportName: `run-${String(i).padStart(2, '0')}`,
    startedAt: new Date(Date.UTC(2026, 10, 1, 10, i)),
  });
  setItem(
    r,
    'system',
    'cpu_info',
    plainTextItem('CPU | lscpu', Array.from({ length: 40 }, (_, n) => `Field ${n}:   value ${n}`).join('\n')),
  );
  setItem(r, 'system', 'total_ram', plainTextItem('Total RAM', '31 GB\n'));
  setItem(
    r,
    'system',
    'sysctl_vm',
    plainTextItem('sysctl vm', Array.from({ length: 60 }, (_, n) => `vm.setting_${n} = ${n * 7}`).join('\n')),
  );
  setItem(
    r,
    'system',
    'lshw_memory',
    tableFromObjects(
      'Memory | lshw',
      Array.from({ length: 40 }, (_, n) => ({
        id: `bank:${n}`,
        class: 'memory',
        size: 17179869184,
        configuration: { errordetection: 'none', speed: '4800', width: '64' },
        capabilities: { ecc: false, synchronous: true },
      })),
    ),
  );
  setItem(
    r,
    'db',
    'version_major',
    plainTextItem('PostgreSQL major version', 'PostgreSQL 16.4 on x86_64-pc-linux-gnu', { state: 'hidden' }),
  );
  const settings = Array.from({ length: 360 }, (_, n) => [
    `setting_${String(n).padStart(3, '0')}`,
    n === 7 ? String(1000 + (i % 3)) : `value-${n}`,
    n % 5 ? 'default' : 'configuration file',
    'Some description of what this setting does, as pg_settings gives it.',
  ]);
  setItem(
    r,
    'db',
    'pg_settings',
    tableItem('PostgreSQL settings', ['name', 'setting', 'source', 'short_desc'], settings),
  );
  setItem(
    r,
    'db',
    'pg_available_extensions',
    tableItem(
      'extensions',
      ['name', 'default_version', 'installed_version'],
      Array.from({ length: 50 }, (_, n) => [`ext_${n}`, '1.0', n < 3 ? '1.0' : null]),
    ),
  );
  const its: IterationResult[] = [1, 10, 20, 50, 100].map((c, index) => ({
    index,
    value: c,
    clients: c,
    status: 'complete',
    tps: 1000 * Math.log2(c + 1) + i,
    latencyAvgMs: c / 2,
    latencyStddevMs: 0.3,
    initialConnectionMs: 3,
    processed: 30000,
    failed: 0,
    skipped: 0,
    durationS: 30,
    percentiles: { p50: 1, p90: 2, p95: 3, p99: 4, max: 9 },
    series: Array.from({ length: 30 }, (_, t) => ({ t: t + 1, tps: 1000 + t, latencyMs: 1.5 })),
  }));
  (r.pgops as NonNullable<Report['pgops']>).iterations = its;
  setItem(r, 'result', 'pgbench_outputs', pgbenchOutputsItem(its));
  // Pad a text item to the target size, as big pg_config / mount outputs do.
  const size = JSON.stringify(r, null, 4).length;
  setItem(r, 'system', 'mount', plainTextItem('mount', 'x'.repeat(Math.max(0, targetBytes - size - 200))));
  return r;
}

function time<T>(fn: () => T): [T, number] {
  const t0 = process.hrtime.bigint();
  const v = fn();
  return [v, Number(process.hrtime.bigint() - t0) / 1e6];
}

function main(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-bench-join-'));
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-bench-join-out-'));
  try {
    let total = 0;
    for (let i = 0; i < reportCount; i++) {
      const file = path.join(dir, `run-${String(i).padStart(2, '0')}.pgperf.json`);
      writeReportAtomic(file, syntheticReport(i));
      total += fs.statSync(file).size;
    }
    console.log(
      `${reportCount} reports, ${(total / reportCount / 1024).toFixed(0)} KB each on average (${(total / 1024 / 1024).toFixed(1)} MB)`,
    );
    const task = {
      description: 'bench',
      items: [
        'sections.db.reports.version_major.data',
        'sections.system.reports.cpu_info.data',
        'sections.db.reports.pg_available_extensions.data',
      ],
    };
    const ours: number[] = [];
    const bare: number[] = [];
    for (let round = 0; round < 5; round++) {
      const [merged, tJoin] = time(() => {
        const { inputs } = loadReportsFromDir(dir);
        const m = joinReports(inputs, { task, reportName: 'bench-join' });
        writeReportAtomic(path.join(out, 'bench-join.pgperf.json'), m);
        return m;
      });
      ours.push(tJoin);
      if (round === 0)
        console.log(
          `merged: ${merged.pgops?.join?.differing.length} differing items, ` +
            `${(fs.statSync(path.join(out, 'bench-join.pgperf.json')).size / 1024 / 1024).toFixed(1)} MB written`,
        );
      const [, tBare] = time(() => {
        const all = fs.readdirSync(dir).map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as unknown);
        fs.writeFileSync(path.join(out, 'bare.json'), JSON.stringify(all[0], null, 4));
      });
      bare.push(tBare);
    }
    console.log(
      `join (read + validate + compare + merge + write JSON): median ${median(ours).toFixed(0)} ms, runs ${ours.map((t) => t.toFixed(0)).join(' ')} ms`,
    );
    console.log(`baseline (JSON.parse of every file + one write):    median ${median(bare).toFixed(0)} ms`);
    console.log(
      `ratio ${(median(ours) / median(bare)).toFixed(2)}; target: join under 1000 ms -> ${median(ours) < 1000 ? 'met' : 'NOT met'}`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(out, { recursive: true, force: true });
  }
}

main();
