/**
 * The report API other parts use: model types, builders, reading and validation, summaries,
 * atomic writing, HTML export and join. See model.ts for the shape.
 */
export * from './model';
export * from './items';
export { writeFileAtomic, writeReportAtomic } from './write';
export {
  defaultReportsFolder,
  fileTimestamp,
  htmlSiblingOf,
  reportFileBase,
  reportFileStem,
  outputFile,
  outputFolder,
  outputLocation,
  reportFileAt,
  writeReportFiles,
} from './files';
export type { OutputLocation, ReportPaths, WrittenReportFiles } from './files';
export { renderReportHtml, loadReportAssets, jsonForHtml } from './html';
export {
  checkReportSize,
  maxReportBytes,
  readReport,
  readReportText,
  parseReportText,
  validateReport,
  ReportFormatError,
} from './read';
export { summarizeReport, reportIterations } from './summary';
export type { ReportSummary } from './summary';
export { joinReports, JoinMismatchError } from './join';
export type { JoinInput, JoinOptions } from './join';
export { joinCandidates, readJoinTask, validateJoinTask } from './joinTask';
export type { JoinCandidate, JoinTask } from './joinTask';
export { loadReportsFromDir } from './loadDir';
export { redactReport } from './redact';
