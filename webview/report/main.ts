/**
 * Entry of the report viewer. Two hosts run this same bundle:
 * - the VS Code custom editor: it posts `ready`, then receives the report (or an error) by message;
 * - the exported HTML file: the report is embedded as an inert JSON block in the page.
 */
import type { HostToViewer, ViewerToHost } from '../../src/protocol/report';
import { isHostToViewer, isReportView } from '../../src/protocol/report';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import styles from './styles.css';
import { onThemeChange } from '../shared/chart';
import { renderError, renderReport } from './view';

/** What the tab keeps across being hidden or restored: UI state only; the report is always read again. */
interface ViewerUiState {
  filter: string;
  scrollY: number;
}

declare function acquireVsCodeApi(): {
  postMessage(msg: ViewerToHost): void;
  getState(): unknown;
  setState(state: ViewerUiState): void;
};

/** The saved state is the page's own, but check it like any input: an older build may have saved another shape. */
function uiState(saved: unknown): ViewerUiState {
  const s = typeof saved === 'object' && saved !== null ? (saved as Partial<Record<keyof ViewerUiState, unknown>>) : {};
  return {
    filter: typeof s.filter === 'string' ? s.filter : '',
    scrollY: typeof s.scrollY === 'number' && Number.isFinite(s.scrollY) ? s.scrollY : 0,
  };
}

/** Puts the saved filter text and scroll position back on a freshly drawn report. */
function reapply(root: HTMLElement, ui: ViewerUiState): void {
  const filter = root.querySelector<HTMLElement & { value: string }>('.environment .filter');
  if (filter && ui.filter) {
    filter.value = ui.filter;
    filter.dispatchEvent(new Event('input'));
  }
  requestAnimationFrame(() => window.scrollTo(0, ui.scrollY));
}

const nonce =
  (document.currentScript as HTMLScriptElement | null)?.nonce ||
  document.querySelector('meta[name="pgops-nonce"]')?.getAttribute('content') ||
  '';

function injectStyles(): void {
  const style = document.createElement('style');
  style.nonce = nonce;
  style.textContent = styles;
  document.head.appendChild(style);
}

function exportButton(onClick: () => void): HTMLElement {
  const button = document.createElement('vscode-button');
  button.textContent = 'Export HTML…';
  button.setAttribute('secondary', '');
  button.classList.add('export');
  button.addEventListener('click', onClick);
  return button;
}

function appRoot(): HTMLElement {
  let root = document.getElementById('app');
  if (!root) {
    root = document.createElement('div');
    root.id = 'app';
    document.body.appendChild(root);
  }
  return root;
}

function safely(root: HTMLElement, fileName: string, draw: () => void): void {
  try {
    draw();
  } catch (err) {
    renderError(
      root,
      fileName,
      `The viewer failed while drawing this report: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

function start(): void {
  injectStyles();
  const root = appRoot();
  const embedded = document.getElementById('pgops-report-data');
  if (embedded) {
    // The exported page is its own file: no "File" line in the summary.
    safely(root, document.title, () => {
      const view: unknown = JSON.parse(embedded.textContent ?? 'null');
      if (!isReportView(view)) throw new Error('the embedded report data is not a report');
      renderReport(root, view, '');
    });
    return;
  }
  if (typeof acquireVsCodeApi !== 'function') {
    renderError(root, '', 'No report data in this page.');
    return;
  }
  const vscode = acquireVsCodeApi();
  // The tab's webview is discarded when hidden (no retainContextWhenHidden) and VS Code restores the
  // editor after a reload: the host then sends the report again, and this state puts the view back.
  const ui = uiState(vscode.getState());
  root.addEventListener(
    'input',
    (e) => {
      const target = e.target;
      if (!(target instanceof HTMLElement) || !target.classList.contains('filter')) return;
      const value = (target as HTMLElement & { value?: unknown }).value;
      if (typeof value !== 'string') return;
      ui.filter = value;
      vscode.setState(ui);
    },
    true,
  );
  window.addEventListener(
    'scroll',
    () => {
      ui.scrollY = window.scrollY;
      vscode.setState(ui);
    },
    { passive: true },
  );
  let shown: Extract<HostToViewer, { type: 'report' }> | undefined;
  const draw = (msg: Extract<HostToViewer, { type: 'report' }>) =>
    safely(root, msg.fileName, () => {
      renderReport(root, msg.view, msg.fileName);
      root.querySelector('header')?.append(exportButton(() => vscode.postMessage({ type: 'exportHtml' })));
      reapply(root, ui);
    });
  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    const msg: unknown = event.data;
    if (!isHostToViewer(msg)) return;
    shown = msg.type === 'report' ? msg : undefined;
    if (msg.type === 'error') renderError(root, msg.fileName, msg.message, msg.hint);
    else draw(msg);
  });
  // the charts take their colours from the theme when drawn: draw again in the new one, filter and scroll kept
  onThemeChange(() => {
    if (shown) draw(shown);
  });
  vscode.postMessage({ type: 'ready' });
}

start();
