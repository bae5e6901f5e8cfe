import type { DevicePrompt } from './deviceFlow';

/**
 * Text from the identity provider (or a server's OAuth challenge) reaches a terminal, a log and VS
 * Code notifications. It is shown, never obeyed: control characters (C0, DEL, C1: escape sequences,
 * carriage returns, bells), line and paragraph separators and bidirectional overrides are written
 * as visible escapes; `](`, which VS Code turns into a link in a notification, is split; and the
 * text is cut at `maxChars`.
 */
export function inertText(text: string, maxChars = 500): string {
  const cut = text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
  return cut.replace(unsafeChars, escapeChar).replace(/\]\(/g, '] (');
}

const unsafeChars = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const shortEscapes: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  return shortEscapes[c] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`);
}

/** The page to open for a device prompt, or why none may be opened. */
export type VerificationPage = { open: string } | { refused: string };

/**
 * Which of the provider's verification pages may be opened in a browser: `verification_uri_complete`
 * (it carries the code), else `verification_uri`, and only an https: URL (http: only with
 * PGOAUTHDEBUG=UNSAFE, as libpq allows http endpoints). Anything else (javascript:, file:, command:,
 * vscode:, data:, or text that is no URL) is never opened; `refused` says why, inertly. The
 * returned URL is the parsed one, so what is opened is what was checked.
 */
export function verificationPage(
  p: Pick<DevicePrompt, 'verificationUri' | 'verificationUriComplete'>,
  allowHttp: boolean,
): VerificationPage {
  const candidates = [p.verificationUriComplete, p.verificationUri].filter((u): u is string => u !== undefined);
  for (const raw of candidates) {
    const url = parsed(raw);
    if (url && (url.protocol === 'https:' || (url.protocol === 'http:' && allowHttp))) return { open: url.href };
  }
  const shown = candidates.map((u) => `"${inertText(u, 200)}"`).join(' or ');
  return {
    refused:
      `The provider's page ${shown} is not an https:// URL${allowHttp ? ' (nor http://, allowed by PGOAUTHDEBUG=UNSAFE)' : ''}, so pgops does not open it.` +
      ' Check the identity provider, and enter the code only on a page you trust.',
  };
}

function parsed(raw: string): URL | undefined {
  try {
    return new URL(raw);
  } catch {
    return undefined;
  }
}
