import * as vscode from 'vscode';
import type { Logger } from '../core/log';
import { redactingLogger } from '../core/redact';

/** The extension's one LogOutputChannel, exposed to core through its Logger interface; every message is redacted. */
export function createLogger(): { channel: vscode.LogOutputChannel; logger: Logger } {
  const channel = vscode.window.createOutputChannel('Postgres Ops', { log: true });
  const logger = redactingLogger({
    trace: (m) => channel.trace(m),
    debug: (m) => channel.debug(m),
    info: (m) => channel.info(m),
    warn: (m) => channel.warn(m),
    error: (m) => channel.error(m),
  });
  return { channel, logger };
}
