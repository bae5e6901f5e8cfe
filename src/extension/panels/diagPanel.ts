import * as vscode from 'vscode';
import { Disposable } from '../disposable';
import { webviewPage } from '../webviewPage';

/**
 * A webview panel of the diagnostics: bundled script from dist/webview, strict CSP with a fresh
 * nonce, and messages queued until the page says it is ready.
 */
export class DiagPanel<Out, In> extends Disposable {
  readonly panel: vscode.WebviewPanel;
  private readonly queue: Out[] = [];
  private ready = false;
  private closed = false;

  constructor(
    extensionUri: vscode.Uri,
    viewType: string,
    title: string,
    script: string,
    private readonly isIn: (m: unknown) => m is In,
    onMessage: (m: In) => void,
  ) {
    super();
    const scripts = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
    this.panel = vscode.window.createWebviewPanel(
      viewType,
      title,
      { viewColumn: vscode.ViewColumn.Active },
      { enableScripts: true, retainContextWhenHidden: true, localResourceRoots: [scripts] },
    );
    this.panel.webview.html = this.html(vscode.Uri.joinPath(scripts, `${script}.js`));
    this.register(
      this.panel.onDidDispose(() => {
        this.closed = true;
        this.dispose();
      }),
    );
    this.register(
      this.panel.webview.onDidReceiveMessage((m: unknown) => {
        if (!this.isIn(m)) return;
        if ((m as { type?: string }).type === 'ready') {
          this.ready = true;
          for (const q of this.queue.splice(0)) void this.panel.webview.postMessage(q);
        }
        onMessage(m);
      }),
    );
  }

  get isClosed(): boolean {
    return this.closed;
  }

  post(m: Out): void {
    if (this.closed) return;
    if (this.ready) void this.panel.webview.postMessage(m);
    else this.queue.push(m);
  }

  private html(script: vscode.Uri): string {
    return webviewPage(this.panel.webview, script, { style: diagStyle });
  }

  override dispose(): void {
    if (!this.closed) {
      this.closed = true;
      this.panel.dispose();
    }
    super.dispose();
  }
}

const diagStyle = `
  body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 1em 2em; }
  pre { white-space: pre-wrap; font-family: var(--vscode-editor-font-family); background: var(--vscode-textCodeBlock-background); padding: .6em; }
  table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
  th, td { text-align: left; padding: 2px 10px 2px 0; border-bottom: 1px solid var(--vscode-panel-border); vertical-align: top; }
  td.num { text-align: right; }
  td.mono { font-family: var(--vscode-editor-font-family); white-space: pre-wrap; }
  button { background: var(--vscode-button-background); color: var(--vscode-button-foreground);
           border: none; padding: 4px 10px; margin-right: 6px; cursor: pointer; }
  button:disabled { opacity: .5; cursor: default; }
  .chart { position: relative; height: 220px; margin: 1em 0; }
  .muted { opacity: .75; }
  .error { color: var(--vscode-errorForeground); }
  .warning { color: var(--vscode-editorWarning-foreground); }
`;
