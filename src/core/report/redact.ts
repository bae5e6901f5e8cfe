/**
 * A report with its secrets redacted by the rules of src/core/redact: the settings table by
 * setting name (also a join's settings diff and side-by-side values), fstab and mount lines by
 * their options, then every string of the report as statement or free text (top statements,
 * workload scripts, pgbench output, errors, notes, the plan). The `pgops` block records the rule
 * set and how many markers of each rule the report holds.
 *
 * Every report is redacted when it is read (ours of any age, pg_perfbench's, anyone's) and again
 * when it is written or exported (writeReportAtomic, renderReportHtml): a report made before
 * redaction existed, or by someone else, comes out clean. Redacting twice changes nothing.
 */
import { countMarkers, redactionRuleSet, redactMountOptions, redactSetting, redactText } from '../redact';
import type { JsonValue, Report, ReportItem } from './model';
import { isJoinedItem, jsonText } from './model';

/** Columns of a settings table that hold a setting's value (pg_settings' own, and pg_perfbench's). */
const valueColumns = new Set(['setting', 'reset_val', 'boot_val', 'value', 'current_setting']);

function settingsRows(theader: string[] | undefined, rows: JsonValue): JsonValue {
  if (!Array.isArray(rows)) return rows;
  const th = theader ?? ['name', 'setting'];
  // a join's diff: setting | report A | report B …
  const joined = th[0] === 'setting' && !th.includes('name');
  const nameAt = joined ? 0 : th.indexOf('name');
  if (nameAt < 0) return rows;
  const isValue = (i: number) => i !== nameAt && (joined || valueColumns.has(th[i]));
  return rows.map((row) =>
    Array.isArray(row)
      ? row.map((cell, i) =>
          isValue(i) && typeof cell === 'string' ? redactSetting(jsonText(row[nameAt]), cell) : cell,
        )
      : row,
  );
}

/** The rules that depend on what an item is, applied to one value of it. */
function byKind(key: string, theader: string[] | undefined, data: JsonValue): JsonValue {
  if (key === 'pg_settings') return settingsRows(theader, data);
  if ((key === 'etc_fstab' || key === 'mount') && typeof data === 'string') return redactMountOptions(data);
  return data;
}

function redactItem(key: string, item: ReportItem): ReportItem {
  const data = isJoinedItem(item)
    ? (item.data as Array<[string, JsonValue]>).map(([name, value]): JsonValue => [name, byKind(key, undefined, value)])
    : byKind(key, item.theader, item.data);
  return { ...item, data };
}

/** Every string of a JSON value through the statement and free-text rules. */
function everyString<T>(value: T): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redactText(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

export function redactReport(report: Report): Report {
  const sections = Object.fromEntries(
    Object.entries(report.sections).map(([sk, sec]) => [
      sk,
      {
        ...sec,
        reports: Object.fromEntries(Object.entries(sec.reports).map(([ik, item]) => [ik, redactItem(ik, item)])),
      },
    ]),
  );
  const out = everyString({ ...report, sections });
  if (out.pgops) out.pgops.redaction = { ruleSet: redactionRuleSet, counts: countMarkers(JSON.stringify(out)) };
  return out;
}
