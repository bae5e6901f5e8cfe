import * as crypto from 'node:crypto';
import type * as vscode from 'vscode';

/**
 * The HTML shell of every pgops webview: a strict CSP (`default-src 'none'`, scripts and styles only
 * with this render's fresh nonce or from the extension), one bundled script, and an `#app` root.
 */
export function webviewPage(
  webview: vscode.Webview,
  script: vscode.Uri,
  opts: { style?: string; title?: string; placeholder?: string; withNonceMeta?: boolean } = {},
): string {
  const nonce = crypto.randomBytes(16).toString('base64');
  const csp =
    `default-src 'none'; script-src 'nonce-${nonce}'; style-src ${webview.cspSource} ` +
    `'nonce-${nonce}'; img-src ${webview.cspSource} data:; font-src ${webview.cspSource}`;
  const head = [
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // the report bundle reads it to give the styles it creates at run time the same nonce
    ...(opts.withNonceMeta ? [`<meta name="pgops-nonce" content="${nonce}">`] : []),
    ...(opts.title ? [`<title>${opts.title}</title>`] : []),
    ...(opts.style ? [`<style nonce="${nonce}">${opts.style}</style>`] : []),
  ];
  return `<!DOCTYPE html>
<html lang="en">
<head>
${head.join('\n')}
</head>
<body>
<div id="app">${opts.placeholder ?? ''}</div>
<script nonce="${nonce}" src="${webview.asWebviewUri(script).toString()}"></script>
</body>
</html>`;
}
