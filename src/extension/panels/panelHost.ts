import * as vscode from 'vscode';
import { Disposable } from '../disposable';
import { webviewPage } from '../webviewPage';
import { WebviewChannel } from './webviewChannel';

export interface PanelHostOptions<In> {
  viewType: string;
  title: string;
  /** The bundle's name in dist/webview, without `.js`. */
  script: string;
  style: string;
  column: vscode.ViewColumn;
  preserveFocus?: boolean;
  /** The protocol's guard for what the page may send. */
  isIn: (m: unknown) => m is In;
  onMessage?: (m: In) => void;
}

/**
 * A webview panel of pgops: the bundled script under a strict CSP with a fresh nonce, narrow
 * resource roots, and a `WebviewChannel` that validates what the page sends and holds what the
 * host posts until the page says `ready`. Closing the panel disposes it; disposing closes it.
 *
 * The panels keep their context when hidden (`retainContextWhenHidden`) and register no serializer;
 * each subclass says why.
 */
export class PanelHost<Out, In extends { type: string }> extends Disposable {
  readonly panel: vscode.WebviewPanel;
  private readonly channel: WebviewChannel<Out, In>;

  constructor(extensionUri: vscode.Uri, opts: PanelHostOptions<In>) {
    super();
    const scripts = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
    this.panel = vscode.window.createWebviewPanel(
      opts.viewType,
      opts.title,
      { viewColumn: opts.column, preserveFocus: opts.preserveFocus ?? false },
      { enableScripts: true, retainContextWhenHidden: true, localResourceRoots: [scripts] },
    );
    this.channel = new WebviewChannel<Out, In>(
      (m) => void this.panel.webview.postMessage(m),
      opts.isIn,
      opts.onMessage ?? (() => undefined),
    );
    this.panel.webview.html = webviewPage(this.panel.webview, vscode.Uri.joinPath(scripts, `${opts.script}.js`), {
      style: opts.style,
    });
    this.register(this.panel.onDidDispose(() => this.dispose()));
    this.register(this.panel.webview.onDidReceiveMessage((m: unknown) => this.channel.receive(m)));
  }

  get isClosed(): boolean {
    return this.channel.isClosed;
  }

  post(m: Out): void {
    this.channel.post(m);
  }

  override dispose(): void {
    if (this.channel.isClosed) return;
    this.channel.close();
    super.dispose();
    this.panel.dispose();
  }
}
