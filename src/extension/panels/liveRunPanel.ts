import * as vscode from 'vscode';
import type { HostToLiveRun, LiveRunToHost } from '../../protocol/liveRun';
import { isLiveRunToHost } from '../../protocol/liveRun';
import { PanelHost } from './panelHost';

/**
 * The live chart of a running sweep. Messages posted before the webview says "ready" are queued,
 * so nothing is lost while it loads; a closed panel simply stops receiving (the run goes on).
 *
 * Retained, not restored: the chart is a stream of points that exists only in the page, and the
 * run it shows ends with the extension host (a window reload stops pgbench), so there is nothing
 * to refetch; the sweep's report file is the lasting record.
 */
export class LiveRunPanel extends PanelHost<HostToLiveRun, LiveRunToHost> {
  constructor(extensionUri: vscode.Uri, title: string) {
    super(extensionUri, {
      viewType: 'pgops.liveRun',
      title,
      script: 'liveRun',
      style: liveRunStyle,
      column: vscode.ViewColumn.Beside,
      preserveFocus: true,
      isIn: isLiveRunToHost,
    });
  }
}

const liveRunStyle = `
  body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 1em; }
  .chart { position: relative; height: 260px; margin: 1em 0; }
  pre.command { white-space: pre-wrap; font-family: var(--vscode-editor-font-family); opacity: 0.8; }
  .phase.failed, .phase.interrupted { color: var(--vscode-errorForeground); }
`;
