import * as path from 'node:path';
import * as vscode from 'vscode';
import { defaultReportsFolder } from '../core/report/files';
import type { SessionSafety } from '../core/conn/session';
import type { ActivityThresholds } from '../core/ops/activity';
import type { HealthOptions } from '../core/ops/healthModel';
import { activityThresholdsFromSettings, healthOptionsFromSettings } from '../core/ops/healthSettings';

/** Typed reads of the extension's settings (declared with descriptions in package.json). */
export function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration('pgops');
}

export function sandboxPort(): number {
  return config().get<number>('sandbox.port', 54329);
}

/**
 * The folder pgbench sweeps (and the sandbox demo) save reports to: `pgops.bench.reportsFolder`, absolute or relative
 * to the first workspace folder; without a workspace, relative to `storageDir` (the extension's global storage).
 */
export function benchReportsFolder(storageDir: string): string {
  const setting = config().get<string>('bench.reportsFolder', defaultReportsFolder) || defaultReportsFolder;
  if (path.isAbsolute(setting)) return setting;
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? storageDir;
  return path.join(root, setting);
}

export function sessionSafety(): SessionSafety {
  return {
    applicationName: 'pgops (VS Code)',
    statementTimeoutMs: config().get<number>('session.statementTimeout', 5000),
    lockTimeoutMs: config().get<number>('session.lockTimeout', 1000),
    readOnly: true,
  };
}

/** The health checks' thresholds (`pgops.health.*`); throws a PgOpsError naming the bad setting. */
export function healthSettings(): HealthOptions {
  return healthOptionsFromSettings(config().get('health.thresholds'), config().get('health.detailRows'));
}

/** Where the Activity view flags a session: the levels at which the matching health checks first complain. */
export function activityFlagThresholds(): ActivityThresholds {
  return activityThresholdsFromSettings(config().get('health.thresholds'));
}
