import * as path from 'node:path';
import type { Client } from 'pg';
import * as vscode from 'vscode';
import type { ConnectionSession } from '../../core/conn/connectionSession';
import type { OpenedSession } from '../../core/conn/open';
import type { SessionSafety } from '../../core/conn/session';
import { describeError } from '../../core/errors';
import { cleanupScript, cleanUpLeftovers, findLeftovers } from '../../core/fix/leftovers';
import { fixSessionSafety } from '../../core/fix/plan';
import type { FixSettings, PreparedFix } from '../../core/fix/prepare';
import { fixRecord, fixRecordFileName } from '../../core/fix/prepare';
import type { FixOutcome } from '../../core/fix/run';
import { runFix } from '../../core/fix/run';
import type { Logger } from '../../core/log';
import { writeFileAtomic } from '../../core/report';
import type { FixPanelState, FixToHost, HostToFix } from '../../protocol/fix';
import { isFixToHost } from '../../protocol/fix';
import { confirmWrite } from '../confirm';
import { showError, toAbortSignal } from '../ui';
import { DiagPanel } from './diagPanel';
import { checkedState, cleanedState, finishedState, fixWhat, withEvent } from './fixPanelState';

export interface FixPanelOptions {
  extensionUri: vscode.Uri;
  session: ConnectionSession;
  prepared: PreparedFix;
  endpoint: Pick<OpenedSession, 'target' | 'reopen'>;
  serverVersionNum: number;
  settings: FixSettings;
  /** Where Save Summary writes (the benchmark reports' folder). */
  reportsFolder: string;
  logger: Logger;
  /** After a run or a cleanup: the Bloat and Health views refresh. */
  onChanged: () => void;
}

const monitorSafety: SessionSafety = {
  applicationName: 'pgops fix monitor',
  statementTimeoutMs: 5000,
  lockTimeoutMs: 1000,
  readOnly: true,
};

/**
 * The Fix panel of one relation: the checklist and the exact command, then Run (confirmed, with the typed name on
 * production profiles), live progress and lock waits with Cancel, then the before/after summary, Save Summary
 * and Clean Up Leftovers. The fix runs in sessions of its own (a writable one for VACUUM and REINDEX, pg_repack's,
 * a read-only monitor); the connection owns the panel, and closing the panel cancels a running fix.
 *
 * Retained, not restored: a fix is a live operation on a connection, which a window reload ends.
 */
export class FixPanel {
  private readonly panel: DiagPanel<HostToFix, FixToHost>;
  private state: FixPanelState;
  private abort: AbortController | undefined;
  private outcome: FixOutcome | undefined;
  private busy = false;

  constructor(private readonly o: FixPanelOptions) {
    const p = o.prepared;
    this.state = checkedState(p, o.session.profile.name);
    this.panel = new DiagPanel<HostToFix, FixToHost>(
      o.extensionUri,
      'pgops.fixPanel',
      `Fix: ${p.object.schema}.${p.object.name}`,
      'fix',
      isFixToHost,
      (m) => void this.onMessage(m).catch((err: unknown) => showError(err, o.logger, `Fix panel (${m.type})`)),
    );
    const owned = o.session.own('fix panel', () => this.panel.dispose());
    this.panel.panel.onDidDispose(() => {
      this.abort?.abort();
      void owned.dispose();
    });
    this.post();
  }

  get webviewPanel(): vscode.WebviewPanel {
    return this.panel.panel;
  }

  private post(): void {
    if (!this.panel.isClosed) this.panel.post({ type: 'state', state: this.state });
  }

  private async onMessage(m: FixToHost): Promise<void> {
    switch (m.type) {
      case 'ready':
        return this.post();
      case 'run':
        return this.run();
      case 'cancel':
        this.abort?.abort();
        return;
      case 'cleanup':
        return this.cleanup();
      case 'save':
        return this.save();
      case 'activity':
        await vscode.commands.executeCommand('pgops.activity.focus');
        return;
      case 'openCommand': {
        const language = this.o.prepared.plan.sql ? 'sql' : 'shellscript';
        await vscode.window.showTextDocument(
          await vscode.workspace.openTextDocument({ language, content: `${this.state.command}\n` }),
          vscode.ViewColumn.Beside,
        );
        return;
      }
    }
  }

  private async withMonitor<T>(fn: (monitor: Client) => Promise<T>): Promise<T> {
    const monitor = await this.o.endpoint.reopen(monitorSafety);
    monitor.on('error', (err) => this.o.logger.warn(`fix monitor: ${err.message}`));
    try {
      return await fn(monitor);
    } finally {
      await monitor.end().catch(() => undefined);
    }
  }

  private async run(): Promise<void> {
    const { prepared: p, session, settings } = this.o;
    if (this.busy || this.state.stage !== 'checked' || p.checklist.blocked) return;
    const warnings = p.checklist.checks.filter((c) => c.status === 'warn' || c.status === 'unknown');
    const go = await confirmWrite(session.profile, `run ${fixWhat(p)}`, {
      detail: [
        ...(warnings.length
          ? [
              `Despite ${warnings.length} warning${warnings.length === 1 ? '' : 's'}: ${warnings.map((w) => w.title).join('; ')}.`,
            ]
          : []),
        p.plan.effect,
      ].join('\n\n'),
      effect: 'This runs maintenance on the server.',
    });
    if (!go) return;
    this.busy = true;
    const abort = new AbortController();
    this.abort = abort;
    this.state = { ...this.state, stage: 'running', runLabel: null };
    this.post();
    try {
      this.outcome = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: this.state.title, cancellable: true },
        (progress, token) =>
          this.withMonitor((monitor) =>
            runFix(p.object, p.plan, {
              monitor,
              serverVersionNum: this.o.serverVersionNum,
              openFixSession: () => this.o.endpoint.reopen(fixSessionSafety('pgops fix', settings.lockTimeoutS)),
              repack: p.repackProgram ? { program: p.repackProgram.path, login: this.o.endpoint.target } : undefined,
              signal: AbortSignal.any([abort.signal, toAbortSignal(token)]),
              onEvent: (e) => {
                this.state = withEvent(this.state, e);
                if (e.type === 'phase') progress.report({ message: e.phase });
                this.post();
              },
            }),
          ),
      );
      this.state = finishedState(this.state, this.outcome, settings.lockTimeoutS);
      this.o.logger.info(`${this.state.title}: ${this.outcome.status}: ${this.outcome.message}`);
      const show =
        this.outcome.status === 'done' ? vscode.window.showInformationMessage : vscode.window.showWarningMessage;
      void show(`${this.outcome.status}: ${this.outcome.message}`);
    } catch (err) {
      this.state = { ...this.state, stage: 'finished', outcome: 'failed', summary: [`failed: ${describeError(err)}`] };
      throw err;
    } finally {
      this.busy = false;
      this.abort = undefined;
      this.post();
      this.o.onChanged();
    }
  }

  private async cleanup(): Promise<void> {
    if (this.busy) return;
    const { prepared: p, session, settings } = this.o;
    this.busy = true;
    try {
      const leftovers = await this.withMonitor((m) => findLeftovers(m, p.object.table.oid));
      if (leftovers.length === 0) {
        this.state = cleanedState(this.state, [], settings.lockTimeoutS);
        return;
      }
      const go = await confirmWrite(session.profile, 'drop the leftovers of an interrupted fix', {
        detail: cleanupScript(leftovers, settings.lockTimeoutS),
      });
      if (!go) return;
      this.state = { ...this.state, stage: 'cleaning' };
      this.post();
      await cleanUpLeftovers(this.o.endpoint.reopen, leftovers, settings.lockTimeoutS);
      const left = await this.withMonitor((m) => findLeftovers(m, p.object.table.oid));
      this.state = cleanedState(this.state, left, settings.lockTimeoutS);
    } finally {
      if (this.state.stage === 'cleaning') this.state = { ...this.state, stage: 'finished' };
      this.busy = false;
      this.post();
      this.o.onChanged();
    }
  }

  private save(): void {
    const at = new Date();
    const file = path.join(this.o.reportsFolder, fixRecordFileName(this.o.prepared, at));
    writeFileAtomic(file, `${JSON.stringify(fixRecord(this.o.prepared, this.outcome ?? null), null, 2)}\n`);
    this.state = { ...this.state, savedTo: file };
    this.post();
    const open = 'Open';
    void vscode.window.showInformationMessage(`Fix summary saved: ${file}`, open).then(async (c) => {
      if (c === open) await vscode.window.showTextDocument(vscode.Uri.file(file));
    });
  }
}
