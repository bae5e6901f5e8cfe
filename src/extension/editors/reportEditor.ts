import * as vscode from 'vscode';
import { describeError, PgOpsError } from '../../core/errors';
import type { Logger } from '../../core/log';
import { checkReportSize, parseReportText } from '../../core/report/read';
import { reportView } from '../../core/report/view';
import type { HostToViewer } from '../../protocol/report';
import { isViewerToHost } from '../../protocol/report';
import { Disposable } from '../disposable';
import { webviewPage } from '../webviewPage';

export const reportViewType = 'pgops.reportViewer';

/**
 * Benchmark reports in editor tabs: the default editor of `*.pgperf.json`, and an "Open With…"
 * choice for pg_perfbench's `.json`. Read-only; the tab follows changes of the file on disk.
 * The webview gets the validated report by message after it says `ready`; a file that cannot be
 * read or validated is shown as an error message in the tab.
 *
 * No serializer: VS Code restores custom editor tabs itself, through this provider. The page is not
 * retained when hidden; each time it says `ready` it gets the file read anew, and it keeps only its UI
 * state (filter text, scroll position) with setState.
 */
export class ReportEditorProvider extends Disposable implements vscode.CustomReadonlyEditorProvider {
  private readonly panels = new Map<vscode.WebviewPanel, vscode.Uri>();
  private active: vscode.Uri | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly logger: Logger,
  ) {
    super();
  }

  static register(extensionUri: vscode.Uri, logger: Logger): ReportEditorProvider {
    const provider = new ReportEditorProvider(extensionUri, logger);
    provider.register(
      vscode.window.registerCustomEditorProvider(reportViewType, provider, {
        supportsMultipleEditorsPerDocument: true,
        webviewOptions: { retainContextWhenHidden: false },
      }),
    );
    return provider;
  }

  /** The report of the focused viewer tab, for commands run from the palette. */
  activeReport(): vscode.Uri | undefined {
    return this.active;
  }

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    const bundleDir = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    panel.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [bundleDir] };
    panel.webview.html = this.html(panel.webview, bundleDir);
    const uri = document.uri;
    this.panels.set(panel, uri);
    if (panel.active) this.active = uri;
    let ready = false;
    const post = async () => {
      if (ready) await panel.webview.postMessage(await this.load(uri));
    };
    const watcher = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(vscode.Uri.joinPath(uri, '..'), uri.path.split('/').pop() ?? '*'),
    );
    const subs = [
      watcher,
      watcher.onDidChange(() => void post()),
      watcher.onDidCreate(() => void post()),
      panel.webview.onDidReceiveMessage((msg: unknown) => {
        if (!isViewerToHost(msg)) {
          this.logger.warn(`report viewer: ignored an unknown message from ${uri.fsPath}`);
          return;
        }
        if (msg.type === 'ready') {
          ready = true;
          void post();
        } else if (msg.type === 'exportHtml') {
          void vscode.commands.executeCommand('pgops.exportReportHtml', uri);
        }
      }),
      panel.onDidChangeViewState(() => {
        if (panel.active) this.active = uri;
      }),
    ];
    panel.onDidDispose(() => {
      this.panels.delete(panel);
      if (this.active?.toString() === uri.toString()) this.active = undefined;
      for (const s of subs) s.dispose();
    });
  }

  /** Reads and validates the file; every failure becomes an `error` message naming the file. */
  private async load(uri: vscode.Uri): Promise<HostToViewer> {
    const fileName = uri.fsPath || uri.toString();
    try {
      checkReportSize(fileName, (await vscode.workspace.fs.stat(uri)).size);
      const bytes = await vscode.workspace.fs.readFile(uri);
      const report = parseReportText(new TextDecoder('utf-8').decode(bytes), fileName);
      return { type: 'report', view: reportView(report), fileName };
    } catch (err) {
      this.logger.warn(`report viewer: ${describeError(err)}`);
      return {
        type: 'error',
        fileName,
        message: err instanceof Error ? err.message : String(err),
        ...(PgOpsError.is(err) && err.hint ? { hint: err.hint } : {}),
      };
    }
  }

  private html(webview: vscode.Webview, bundleDir: vscode.Uri): string {
    return webviewPage(webview, vscode.Uri.joinPath(bundleDir, 'report.js'), {
      title: 'Benchmark report',
      placeholder: '<p>Loading report…</p>',
      withNonceMeta: true,
    });
  }
}
