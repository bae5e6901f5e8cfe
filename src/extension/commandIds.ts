/**
 * Every command the extension contributes. Kept free of `vscode` so a plain-node test can
 * compare it with package.json; the handler table (commandTable in commands/index.ts) is typed
 * by it, so a command without a handler does not compile.
 */
export const commandIds = [
  'pgops.addConnection',
  'pgops.removeConnection',
  'pgops.connect',
  'pgops.disconnect',
  'pgops.refreshConnections',
  'pgops.editConnection',
  'pgops.duplicateConnection',
  'pgops.testConnection',
  'pgops.explainAuth',
  'pgops.startSandbox',
  'pgops.stopSandbox',
  'pgops.resetSandbox',
  'pgops.showLogs',
  'pgops.refreshReports',
  'pgops.openReport',
  'pgops.revealReport',
  'pgops.deleteReport',
  'pgops.exportReportHtml',
  'pgops.compareReports',
  'pgops.runBenchSweep',
  'pgops.rerunBenchReport',
  'pgops.cancelBenchSweep',
  'pgops.refreshQueryStats',
  'pgops.queryStatsOrderBy',
  'pgops.queryStatsMode',
  'pgops.resetQueryStats',
  'pgops.showStatementDetail',
  'pgops.toggleWaitSampling',
  'pgops.openDiagFix',
  'pgops.refreshReplication',
  'pgops.dropSlot',
  'pgops.peekSlot',
  'pgops.refreshBloat',
  'pgops.measureBloat',
  'pgops.generateBloatFix',
  'pgops.refreshHealth',
  'pgops.checkHbaRules',
] as const;

export type CommandId = (typeof commandIds)[number];
