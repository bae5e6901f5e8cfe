import * as vscode from 'vscode';
import { CancelledError, PgOpsError } from '../core/errors';
import type { Logger } from '../core/log';

/** Shows an error the way every command does: the message, the hint, and a way to the logs. */
export async function showError(err: unknown, logger: Logger, context: string): Promise<void> {
  if (CancelledError.is(err)) {
    logger.info(`${context}: cancelled`);
    return;
  }
  const message = err instanceof Error ? err.message : String(err);
  const hint = PgOpsError.is(err) ? err.hint : undefined;
  logger.error(`${context}: ${message}${hint ? ` (hint: ${hint})` : ''}`);
  // A notification shows no `detail` (only modal dialogs do), so the hint, the next step, goes into its text.
  const choice = await vscode.window.showErrorMessage(`${context}: ${message}${hint ? ` — ${hint}` : ''}`, 'Show Logs');
  if (choice === 'Show Logs') await vscode.commands.executeCommand('pgops.showLogs');
}

/** A cancellation token as an AbortSignal, the form core takes. */
export function toAbortSignal(token: vscode.CancellationToken): AbortSignal {
  const ctl = new AbortController();
  if (token.isCancellationRequested) ctl.abort();
  token.onCancellationRequested(() => ctl.abort());
  return ctl.signal;
}

/**
 * A MarkdownString for text built with src/core/markdown.ts: never trusted (no command: links run) and
 * without HTML, so that even a mistake in the escaping cannot run anything.
 */
export function untrustedMarkdown(value: string, opts: { themeIcons?: boolean } = {}): vscode.MarkdownString {
  const md = new vscode.MarkdownString(value, opts.themeIcons ?? false);
  md.isTrusted = false;
  md.supportHtml = false;
  return md;
}
