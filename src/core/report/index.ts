/** The report API other parts use: model types, builders, atomic writing and HTML export. */
export * from './model';
export * from './items';
export { writeFileAtomic, writeReportAtomic } from './write';
export { renderReportHtml, loadReportAssets, jsonForHtml } from './html';
