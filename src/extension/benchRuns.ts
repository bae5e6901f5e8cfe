import * as vscode from 'vscode';
import { PgOpsError } from '../core/errors';

/**
 * The extension's one running pgbench sweep, so *Cancel pgbench Sweep* can stop it like the
 * notification's Cancel button. Owned by activate(): deactivating aborts a sweep still running.
 */
export class BenchRuns implements vscode.Disposable {
  private running: AbortController | undefined;

  /** Refuses while a sweep runs: called before asking anything about a new one. */
  requireIdle(): void {
    if (this.running)
      throw new PgOpsError(
        'bench-busy',
        'A pgbench sweep is already running',
        'Wait for it to finish or run Postgres Ops: Cancel pgbench Sweep.',
      );
  }

  /** Claims the slot for a new sweep (refusing while one runs); the caller must `finish` it. */
  begin(): AbortController {
    this.requireIdle();
    const abort = new AbortController();
    this.running = abort;
    void vscode.commands.executeCommand('setContext', 'pgops.benchRunning', true);
    return abort;
  }

  finish(abort: AbortController): void {
    if (this.running !== abort) return;
    this.running = undefined;
    void vscode.commands.executeCommand('setContext', 'pgops.benchRunning', false);
  }

  /** Stops the running sweep; false when none runs. */
  cancel(): boolean {
    this.running?.abort();
    return this.running !== undefined;
  }

  dispose(): void {
    this.running?.abort();
    this.running = undefined;
  }
}
