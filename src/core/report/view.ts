/**
 * What the report viewer draws, computed where the report is read (the custom editor's host, the
 * HTML export): the viewer bundle then needs nothing from core but types (src/protocol/report.ts).
 */
import type { Report } from './model';
import { isJoinedItem } from './model';
import type { ReportSummary } from './summary';
import { summarizeReport } from './summary';

export interface ReportView {
  report: Report;
  summary: ReportSummary;
  /** `[sectionKey, itemKey]` of every item that holds a join's side-by-side values. */
  joinedItems: Array<[string, string]>;
}

export function reportView(report: Report): ReportView {
  const joinedItems: Array<[string, string]> = [];
  for (const [sectionKey, section] of Object.entries(report.sections))
    for (const [itemKey, item] of Object.entries(section.reports))
      if (isJoinedItem(item)) joinedItems.push([sectionKey, itemKey]);
  return { report, summary: summarizeReport(report), joinedItems };
}
