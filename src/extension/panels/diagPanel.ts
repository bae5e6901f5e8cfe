import * as vscode from 'vscode';
import { PanelHost } from './panelHost';

/**
 * A webview panel of the diagnostics (statement detail, peek) in the active editor column, with their styles.
 */
export class DiagPanel<Out, In extends { type: string }> extends PanelHost<Out, In> {
  constructor(
    extensionUri: vscode.Uri,
    viewType: string,
    title: string,
    script: string,
    isIn: (m: unknown) => m is In,
    onMessage: (m: In) => void,
  ) {
    super(extensionUri, {
      viewType,
      title,
      script,
      style: diagStyle,
      column: vscode.ViewColumn.Active,
      isIn,
      onMessage,
    });
  }
}

const diagStyle = `
  body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 1em 2em; }
  pre { white-space: pre-wrap; font-family: var(--vscode-editor-font-family); background: var(--vscode-textCodeBlock-background); padding: .6em; }
  table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
  th, td { text-align: left; padding: 2px 10px 2px 0; border-bottom: 1px solid var(--vscode-panel-border); vertical-align: top; }
  td.num { text-align: right; }
  td.mono { font-family: var(--vscode-editor-font-family); white-space: pre-wrap; }
  button {
    background: var(--vscode-button-background); color: var(--vscode-button-foreground);
    border: none; padding: 4px 10px; margin-right: 6px; cursor: pointer;
  }
  button:disabled { opacity: .5; cursor: default; }
  .chart { position: relative; height: 220px; margin: 1em 0; }
  progress { width: 100%; max-width: 40em; accent-color: var(--vscode-progressBar-background); }
  .muted { opacity: .75; }
  .error { color: var(--vscode-errorForeground); }
  .warning { color: var(--vscode-editorWarning-foreground); }
`;
