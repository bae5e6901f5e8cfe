import type * as vscode from 'vscode';
import type { PeekResult } from '../../core/diag/logicalPeek';
import { DiagPanel } from './diagPanel';
import type { HostToPeek, PeekToHost } from './diagMessages';
import { isPeekToHost } from './diagMessages';

/** The table of peeked changes of one logical slot. */
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
