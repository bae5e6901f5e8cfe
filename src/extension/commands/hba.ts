import * as vscode from 'vscode';
import type { LintFinding } from '../../core/auth/hba';
import type { ExtensionServices } from '../context';
import { hbaDiagnostics, isHbaDocument } from '../hbaDiagnostics';
import type { CommandGroup } from './index';

/** The document to check: the one the command was invoked on, the active pg_hba.conf, or one the user picks. */
async function hbaDocument(arg: unknown): Promise<vscode.TextDocument | undefined> {
  if (arg instanceof vscode.Uri) return await vscode.workspace.openTextDocument(arg);
  const active = vscode.window.activeTextEditor?.document;
  if (active && isHbaDocument(active)) return active;
  const picked = await vscode.window.showOpenDialog({
    title: 'Check pg_hba Rules: choose a pg_hba.conf',
    canSelectMany: false,
    filters: { 'pg_hba.conf': ['conf'], 'All files': ['*'] },
  });
  return picked?.[0] ? await vscode.workspace.openTextDocument(picked[0]) : undefined;
}

function summary(findings: LintFinding[]): string {
  const count = (s: LintFinding['severity']): number => findings.filter((f) => f.severity === s).length;
  if (findings.length === 0) return 'no findings';
  return [
    ['error', count('error')],
    ['warning', count('warning')],
    ['note', count('info')],
  ]
    .filter(([, n]) => n)
    .map(([w, n]) => `${n} ${w}${n === 1 ? '' : 's'}`)
    .join(', ');
}

export function hbaCommands(s: ExtensionServices) {
  return {
    'pgops.checkHbaRules': async (arg?: unknown): Promise<LintFinding[] | undefined> => {
      const doc = await hbaDocument(arg);
      if (!doc) return undefined;
      await vscode.window.showTextDocument(doc, { preview: false });
      const findings = hbaDiagnostics(s.logger).check(doc);
      const version = vscode.workspace.getConfiguration('pgops').get<number>('hba.serverVersion', 18);
      void vscode.window
        .showInformationMessage(
          `pg_hba check of ${vscode.workspace.asRelativePath(doc.uri)} (as PostgreSQL ${version} reads it): ${summary(findings)}.`,
          ...(findings.length ? ['Show Problems'] : []),
        )
        .then((choice) => (choice ? vscode.commands.executeCommand('workbench.actions.view.problems') : undefined));
      return findings;
    },
  } satisfies CommandGroup;
}
