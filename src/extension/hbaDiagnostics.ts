import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LintFinding } from '../core/auth/hba';
import { lintHba, overlayReader, parseHbaFile } from '../core/auth/hba';
import type { Logger } from '../core/log';
import { config } from './settings';

/** pg_hba.conf and its variants (pg_hba.conf.new, pg_hba_test.conf …) on disk. */
export function isHbaDocument(doc: vscode.TextDocument): boolean {
  return doc.uri.scheme === 'file' && /^pg_hba.*\.conf(\.[^.]+)?$/i.test(path.basename(doc.fileName));
}

const severities: Record<LintFinding['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

/**
 * Lint findings of open pg_hba.conf documents as diagnostics, refreshed on open, edit (debounced) and
 * save, cleared on close. Findings in included files are shown on those files.
 */
export class HbaDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('pgops-hba');
  private readonly shown = new Map<string, vscode.Uri[]>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly logger: Logger) {
    this.subscriptions = [
      vscode.workspace.onDidOpenTextDocument((d) => this.refresh(d)),
      vscode.workspace.onDidSaveTextDocument((d) => this.refresh(d)),
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document)),
      vscode.workspace.onDidCloseTextDocument((d) => this.clear(d)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('pgops.hba')) for (const d of vscode.workspace.textDocuments) this.refresh(d);
      }),
    ];
    for (const d of vscode.workspace.textDocuments) this.refresh(d);
  }

  /** Lints the document now (whatever its name) and shows the findings; returns them. */
  check(doc: vscode.TextDocument): LintFinding[] {
    const major = config().get<number>('hba.serverVersion', 18);
    const libs = config().get<string[] | null>('hba.oauthValidatorLibraries', null) ?? undefined;
    const text = doc.getText();
    const parsed = parseHbaFile(doc.fileName, {
      text,
      reader: overlayReader(doc.fileName, text),
      traits: { major, oauthValidatorLibraries: libs },
    });
    const findings = lintHba(parsed, { oauthValidatorLibraries: libs });
    this.clear(doc);
    const byFile = new Map<string, vscode.Diagnostic[]>([[doc.fileName, []]]);
    for (const f of findings) {
      const target = f.file === doc.fileName ? doc : undefined;
      const line = Math.max(0, f.line - 1);
      const range =
        target && line < target.lineCount
          ? target.lineAt(line).range
          : new vscode.Range(line, 0, line, Number.MAX_SAFE_INTEGER);
      const d = new vscode.Diagnostic(range, f.message, severities[f.severity]);
      d.source = 'pgops';
      d.code = f.code;
      byFile.set(f.file, [...(byFile.get(f.file) ?? []), d]);
    }
    const uris = [...byFile].map(([file, list]) => {
      const uri = vscode.Uri.file(file);
      this.collection.set(uri, list);
      return uri;
    });
    this.shown.set(doc.uri.toString(), uris);
    this.logger.debug(`pg_hba check of ${doc.fileName} (PostgreSQL ${major}): ${findings.length} findings`);
    return findings;
  }

  private refresh(doc: vscode.TextDocument): void {
    if (isHbaDocument(doc)) this.check(doc);
  }

  private schedule(doc: vscode.TextDocument): void {
    if (!isHbaDocument(doc)) return;
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.check(doc);
      }, 300),
    );
  }

  private clear(doc: vscode.TextDocument): void {
    for (const uri of this.shown.get(doc.uri.toString()) ?? []) this.collection.delete(uri);
    this.shown.delete(doc.uri.toString());
  }

  dispose(): void {
    if (instance === this) instance = undefined;
    for (const t of this.timers.values()) clearTimeout(t);
    for (const s of this.subscriptions) s.dispose();
    this.collection.dispose();
  }
}

let instance: HbaDiagnostics | undefined;

/** The one diagnostics owner, created at activation (or by the first Check pg_hba Rules). */
export function hbaDiagnostics(logger: Logger): HbaDiagnostics {
  instance ??= new HbaDiagnostics(logger);
  return instance;
}
