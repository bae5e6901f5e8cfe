/**
 * Messages between the report viewer webview and its host (the custom editor). Pure, so both
 * the extension and the browser bundle import it; every received message is checked here
 * before it is used.
 */
import type { Report } from './model';

/** webview → host */
export type ViewerToHost = { type: 'ready' } | { type: 'exportHtml' };

/** host → webview */
export type HostToViewer =
  | { type: 'report'; report: Report; fileName: string }
  | { type: 'error'; fileName: string; message: string; hint?: string };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseViewerToHost(msg: unknown): ViewerToHost | undefined {
  if (!isObj(msg)) return undefined;
  if (msg.type === 'ready') return { type: 'ready' };
  if (msg.type === 'exportHtml') return { type: 'exportHtml' };
  return undefined;
}

export function parseHostToViewer(msg: unknown): HostToViewer | undefined {
  if (!isObj(msg) || typeof msg.fileName !== 'string') return undefined;
  if (
    msg.type === 'report' &&
    isObj(msg.report) &&
    isObj(msg.report.sections) &&
    typeof msg.report.report_name === 'string'
  ) {
    return { type: 'report', report: msg.report as unknown as Report, fileName: msg.fileName };
  }
  if (msg.type === 'error' && typeof msg.message === 'string') {
    return {
      type: 'error',
      fileName: msg.fileName,
      message: msg.message,
      ...(typeof msg.hint === 'string' ? { hint: msg.hint } : {}),
    };
  }
  return undefined;
}
