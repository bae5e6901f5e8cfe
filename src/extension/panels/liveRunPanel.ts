import * as vscode from 'vscode';
import { Disposable } from '../disposable';
import { webviewPage } from '../webviewPage';
import type { HostToLiveRun } from './liveRunMessages';
import { isLiveRunToHost } from './liveRunMessages';

/**
 * The live chart of a running sweep. Messages posted before the webview says "ready" are queued,
 * so nothing is lost while it loads; a closed panel simply stops receiving (the run goes on).
 */
export class LiveRunPanel extends Disposable {
  private readonly panel: vscode.WebviewPanel;
  private readonly queue: HostToLiveRun[] = [];
  private ready = false;
  private closed = false;

  constructor(extensionUri: vscode.Uri, title: string) {
    super();
    const scripts = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
    this.panel = vscode.window.createWebviewPanel(
      'pgops.liveRun',
      title,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      {
        enableScripts: true,
        retainContextWhenHidden: true,
        localResourceRoots: [scripts],
      },
    );
    this.panel.webview.html = this.html(vscode.Uri.joinPath(scripts, 'liveRun.js'));
    this.register(
      this.panel.onDidDispose(() => {
        this.closed = true;
      }),
    );
    this.register(
      this.panel.webview.onDidReceiveMessage((m: unknown) => {
        if (!isLiveRunToHost(m)) return;
        this.ready = true;
        for (const q of this.queue.splice(0)) void this.panel.webview.postMessage(q);
      }),
    );
  }

  post(m: HostToLiveRun): void {
    if (this.closed) return;
    if (this.ready) void this.panel.webview.postMessage(m);
    else this.queue.push(m);
  }

  private html(script: vscode.Uri): string {
    return webviewPage(this.panel.webview, script, { style: liveRunStyle });
  }

  override dispose(): void {
    if (!this.closed) this.panel.dispose();
    super.dispose();
  }
}

const liveRunStyle = `
  body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 1em; }
  .chart { position: relative; height: 260px; margin: 1em 0; }
  pre.command { white-space: pre-wrap; font-family: var(--vscode-editor-font-family); opacity: 0.8; }
  .phase.failed, .phase.interrupted { color: var(--vscode-errorForeground); }
`;
