import * as vscode from 'vscode';
import type { SessionSafety } from '../core/conn/session';

/** Typed reads of the extension's settings (declared with descriptions in package.json). */
export function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration('pgops');
}

export function sandboxPort(): number {
  return config().get<number>('sandbox.port', 54329);
}

export function sessionSafety(): SessionSafety {
  return {
    applicationName: 'pgops (VS Code)',
    statementTimeoutMs: config().get<number>('session.statementTimeout', 5000),
    lockTimeoutMs: config().get<number>('session.lockTimeout', 1000),
    readOnly: true,
  };
}
