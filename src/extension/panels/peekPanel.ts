import type * as vscode from 'vscode';
import type { PeekResult } from '../../core/diag/logicalPeek';
import { DiagPanel } from './diagPanel';
import type { HostToPeek, PeekToHost } from '../../protocol/peek';
import { isPeekToHost } from '../../protocol/peek';

/**
 * The table of peeked changes of one logical slot.
 *
 * Retained, not restored: the rows are what one peek returned at the moment the user asked, through
 * a connection that a window reload closes. Refetching on restore would reconnect (maybe asking for a
 * password) and peek again unasked, showing other rows under the old title; Peek Changes reopens it.
 */
export function openPeekPanel(
  extensionUri: vscode.Uri,
  result: PeekResult,
  limit: number,
): DiagPanel<HostToPeek, PeekToHost> {
  const panel = new DiagPanel<HostToPeek, PeekToHost>(
    extensionUri,
    'pgops.peekChanges',
    `Peek: ${result.slotName}`,
    'peek',
    isPeekToHost,
    () => undefined,
  );
  panel.post({
    type: 'show',
    slotName: result.slotName,
    plugin: result.plugin,
    options: result.options,
    rows: result.rows,
    limit,
    warnings: result.warnings,
  });
  return panel;
}
