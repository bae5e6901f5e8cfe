/**
 * Join: merge several reports into one comparison, after checking they are comparable.
 *
 * - Every item listed in the task must exist in every report and have equal `data` (items are
 *   found by section and key, never by position). Otherwise the join stops with an error naming
 *   the item, the reference, the differing report and a short diff, and nothing is merged.
 * - Unlisted items equal everywhere are kept once; differing ones are kept side by side for every
 *   report (`[[name, value], ...]`, header suffixed " | Diff" as pg_perfbench does). `pg_settings`
 *   becomes a table of only the differing settings: setting | report A | report B …
 * - The result section holds every report's results, an overlaid tps chart and a ratio table
 *   against the reference; `pgops.join` holds the structured results for our viewer.
 */
import * as path from 'node:path';
import { PgOpsError } from '../errors';
import { jsonEqual, shortDiff } from './compare';
import { formatPerfbenchDate, tableItem, tpsChartItem, tpsPoints } from './items';
import type { JoinTask } from './joinTask';
import { itemPath, parseItemRef } from './joinTask';
import type { IterationResult, JsonValue, Report, ReportItem, ReportSection } from './model';
import { jsonText, reportSchemaVersion } from './model';
import { reportFileStem } from './files';
import { toolVersion } from '../version';
import { reportIterations } from './summary';
import { joinComparisonItems, tpsSpreadItem } from './joinStats';

export interface JoinInput {
  file: string;
  report: Report;
}

export interface JoinOptions {
  task: JoinTask;
  /** Report name or file name of the reference; default: the first input. */
  reference?: string;
  reportName: string;
  now?: Date;
}

/** A listed item differs: the join is refused. */
export class JoinMismatchError extends PgOpsError {
  constructor(
    readonly item: string,
    readonly reference: string,
    readonly differing: string,
    readonly diff: string,
  ) {
    super(
      'join.mismatch',
      `listed item ${item} differs: reference report "${reference}", differing report "${differing}"\n${diff}`,
      'The task requires this item to be equal in all reports; compare reports from comparable runs, ' +
        'or remove the item from the task if the difference is intended.',
    );
  }
}

const baseName = (file: string) => path.basename(reportFileStem(file));

/** Display names: report_name, or the file name when two reports share one. */
function uniqueNames(inputs: JoinInput[]): string[] {
  const count = new Map<string, number>();
  for (const i of inputs) count.set(i.report.report_name, (count.get(i.report.report_name) ?? 0) + 1);
  const names = inputs.map((i) =>
    (count.get(i.report.report_name) ?? 0) > 1 ? baseName(i.file) : i.report.report_name,
  );
  const seen = new Map<string, number>();
  return names.map((n) => {
    const k = (seen.get(n) ?? 0) + 1;
    seen.set(n, k);
    return k > 1 ? `${n} #${k}` : n;
  });
}

/** Puts the reference first; the others keep their order. */
function orderByReference(inputs: JoinInput[], reference: string | undefined): JoinInput[] {
  if (reference === undefined) return inputs;
  const i = inputs.findIndex(
    (x) => x.report.report_name === reference || path.basename(x.file) === reference || baseName(x.file) === reference,
  );
  if (i < 0) {
    throw new PgOpsError(
      'join.reference',
      `reference report "${reference}" is not among the reports: ${inputs.map((x) => path.basename(x.file)).join(', ')}`,
      'Pass a report name or a file name from the input directory.',
    );
  }
  return [inputs[i], ...inputs.slice(0, i), ...inputs.slice(i + 1)];
}

/** Keys of every object, in first-seen order (reference first). */
function unionKeys(objects: Array<Record<string, unknown> | undefined>): string[] {
  const keys = new Set<string>();
  for (const o of objects) if (o) for (const k of Object.keys(o)) keys.add(k);
  return [...keys];
}

function pairs(names: string[], values: Array<JsonValue | undefined>): JsonValue {
  return names.map((n, i) => [n, values[i] === undefined ? null : values[i]] as JsonValue);
}

/** pg_settings rows to name → value (with unit when the table has one). */
function settingsMap(item: ReportItem | undefined): Map<string, string> | undefined {
  if (!item || item.item_type !== 'table' || !Array.isArray(item.data)) return undefined;
  const th = item.theader ?? ['name', 'setting'];
  const ni = th.indexOf('name');
  const si = th.indexOf('setting');
  const ui = th.indexOf('unit');
  if (ni < 0 || si < 0) return undefined;
  const map = new Map<string, string>();
  for (const row of item.data) {
    if (!Array.isArray(row)) continue;
    const unit = ui >= 0 && typeof row[ui] === 'string' && row[ui] ? ` ${row[ui]}` : '';
    map.set(jsonText(row[ni]), `${jsonText(row[si])}${unit}`);
  }
  return map;
}

function settingsDiffItem(items: Array<ReportItem | undefined>, names: string[]): ReportItem | undefined {
  const maps = items.map(settingsMap);
  if (maps.some((m, i) => !m && items[i])) return undefined;
  const settings = [...new Set(maps.flatMap((m) => (m ? [...m.keys()] : [])))].sort();
  const rows: JsonValue[][] = [];
  for (const s of settings) {
    const values = maps.map((m) => (m ? (m.get(s) ?? null) : null));
    if (values.some((v) => v !== values[0])) rows.push([s, ...values]);
  }
  const first = items.find((i): i is ReportItem => !!i) as ReportItem;
  return {
    ...first,
    ...tableItem(`${first.header} | Diff`, ['setting', ...names], rows, {
      description: 'Only the settings that differ between the reports.',
      state: first.state,
      command: {},
    }),
  };
}

function sideBySide(items: Array<ReportItem | undefined>, names: string[]): ReportItem {
  const first = items.find((i): i is ReportItem => !!i) as ReportItem;
  return {
    ...first,
    header: first.header.includes('Diff') ? first.header : `${first.header} | Diff`,
    data: pairs(
      names,
      items.map((i) => i?.data),
    ),
  };
}

function ratioItem(results: Array<{ name: string; iterations: IterationResult[] }>, iterName: string): ReportItem {
  const [ref, ...others] = results;
  // a value run several times (repeats) counts at the mean of its runs
  const byX = (its: IterationResult[]) => new Map(tpsPoints(its));
  const refTps = byX(ref.iterations);
  const maps = others.map((o) => byX(o.iterations));
  const xs = [...new Set([...refTps.keys(), ...maps.flatMap((m) => [...m.keys()])])].sort((a, b) => a - b);
  const theader = [iterName, `${ref.name} tps`, ...others.flatMap((o) => [`${o.name} tps`, `${o.name} / ${ref.name}`])];
  const round = (n: number, d: number) => Math.round(n * 10 ** d) / 10 ** d;
  const rows = xs.map((x) => {
    const r = refTps.get(x);
    return [
      x,
      r === undefined ? null : round(r, 1),
      ...maps.flatMap((m) => {
        const t = m.get(x);
        return [
          t === undefined ? null : round(t, 1),
          t === undefined || r === undefined || r === 0 ? null : round(t / r, 3),
        ];
      }),
    ];
  });
  return tableItem('tps ratio against the reference report', theader, rows, {
    description: `tps of each report divided by the tps of the reference report "${ref.name}" at the same ${iterName} value.`,
    state: 'expanded',
    command: { python_command: 'pgops_tps_ratio' },
  });
}

export function joinReports(inputs: JoinInput[], opts: JoinOptions): Report {
  if (inputs.length < 2) {
    const given = inputs.length ? `: ${inputs.map((i) => i.file).join(', ')}` : '';
    throw new PgOpsError(
      'join.inputs',
      `a join needs at least 2 reports, got ${inputs.length}${given}`,
      'Put the reports to compare into one folder.',
    );
  }
  const ordered = orderByReference(inputs, opts.reference);
  const names = uniqueNames(ordered);
  const reports = ordered.map((o) => o.report);
  const get = (r: Report, s: string, k: string): ReportItem | undefined => r.sections[s]?.reports[k];

  // 1. Listed items: present everywhere, then equal everywhere.
  const listed = opts.task.items.map((i) => parseItemRef(i, 'task'));
  for (const ref of listed) {
    reports.forEach((r, i) => {
      if (!get(r, ref.section, ref.item)) {
        throw new PgOpsError(
          'join.missing',
          `listed item ${ref.path} is missing in report "${names[i]}" (${ordered[i].file})`,
          'Every item the task lists must exist in every report: use reports collected the same way, or remove the item from the task.',
        );
      }
    });
    const refData = get(reports[0], ref.section, ref.item)?.data;
    reports.forEach((r, i) => {
      const d = get(r, ref.section, ref.item)?.data;
      if (i > 0 && !jsonEqual(refData, d))
        throw new JoinMismatchError(ref.path, names[0], names[i], shortDiff(refData, d));
    });
  }

  // 2. Every section and item of every report, by key.
  const matched: string[] = [];
  const differing: string[] = [];
  const sections: Record<string, ReportSection> = {};
  for (const sk of unionKeys(reports.map((r) => r.sections))) {
    const secs = reports.map((r) => r.sections[sk]);
    const firstSec = secs.find((s): s is ReportSection => !!s) as ReportSection;
    const out: ReportSection = {
      header: firstSec.header,
      description: firstSec.description,
      state: firstSec.state,
      reports: {},
    };
    sections[sk] = out;
    for (const ik of unionKeys(secs.map((s) => s?.reports))) {
      const p = itemPath(sk, ik);
      const items = secs.map((s) => s?.reports[ik]);
      if (sk === 'result' && (ik === 'chart' || ik === 'pgbench_outputs' || ik === 'logs')) {
        if (ik !== 'chart')
          out.reports[ik] = { ...sideBySide(items, names), header: (items.find((i) => i) as ReportItem).header };
        continue;
      }
      const allEqual = items.every((it) => it !== undefined && jsonEqual(it.data, items[0]?.data));
      if (allEqual) {
        out.reports[ik] = items[0];
        matched.push(p);
        continue;
      }
      differing.push(p);
      out.reports[ik] = (ik === 'pg_settings' ? settingsDiffItem(items, names) : undefined) ?? sideBySide(items, names);
    }
  }

  // 3. Results of every report: overlaid chart and the ratio table.
  const iterName = reports[0].pgops?.iterName ?? 'pgbench_clients';
  const results = reports.map((r, i) => ({
    name: names[i],
    iterName: r.pgops?.iterName ?? 'pgbench_clients',
    iterations: reportIterations(r),
  }));
  const result = (sections.result ??= {
    header: 'Tests result info',
    description: 'Results of tests',
    state: 'expanded',
    reports: {},
  });
  result.reports.chart = tpsChartItem(
    results.map((r) => ({ name: r.name, points: tpsPoints(r.iterations) })),
    iterName,
  );
  result.reports.tps_ratio = ratioItem(results, iterName);
  const compared = joinComparisonItems(
    reports,
    names,
    ordered.map((o) => path.basename(o.file)),
    iterName,
  );
  result.reports.comparison = compared.comparison;
  result.reports.comparison_summary = compared.summary;
  result.reports.tps_spread = tpsSpreadItem(reports, iterName);

  const now = opts.now ?? new Date();
  const files = ordered.map((o) => path.basename(o.file));
  const taskText = JSON.stringify({ description: opts.task.description, items: opts.task.items }, null, 4);
  return {
    header: `Result of joined reports ${formatPerfbenchDate(now)}`,
    report_name: opts.reportName,
    description: `\nComparison Reports:\n${files.join('\n')}\n\nJoined by:\n${taskText}\n`,
    sections,
    pgops: {
      schemaVersion: reportSchemaVersion,
      tool: { name: 'pgops', version: toolVersion },
      status: 'complete',
      timings: { startedAt: now.toISOString(), finishedAt: now.toISOString(), durationMs: 0 },
      iterName,
      iterations: [],
      environmentNotes: [],
      join: {
        reports: ordered.map((o, i) => ({ name: names[i], file: path.basename(o.file) })),
        reference: names[0],
        task: {
          description: opts.task.description,
          items: opts.task.items,
          ...(opts.task.file ? { file: path.basename(opts.task.file) } : {}),
        },
        matched,
        differing,
        results,
      },
    },
  };
}
