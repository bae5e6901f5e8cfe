/**
 * What the report viewer draws, computed where the report is read (the custom editor's host, the
 * HTML export): the viewer bundle then needs nothing from core but types (src/protocol/report.ts).
 */
import type { Report } from './model';
import { isJoinedItem } from './model';
import type { ValueSummary } from './repeats';
import { valueSummaries } from './repeats';
import type { ReportSummary } from './summary';
import { summarizeReport } from './summary';

export interface ReportView {
  report: Report;
  summary: ReportSummary;
  /** `[sectionKey, itemKey]` of every item that holds a join's side-by-side values. */
  joinedItems: Array<[string, string]>;
  /** every cell (swept settings × value) with its runs' mean and 95% interval, for the charts of a settings sweep */
  cells?: ValueSummary[];
}

export function reportView(report: Report): ReportView {
  const joinedItems: Array<[string, string]> = [];
  for (const [sectionKey, section] of Object.entries(report.sections))
    for (const [itemKey, item] of Object.entries(section.reports))
      if (isJoinedItem(item)) joinedItems.push([sectionKey, itemKey]);
  const summary = summarizeReport(report);
  return { report, summary, joinedItems, cells: summary.joined ? [] : valueSummaries(summary.iterations) };
}
