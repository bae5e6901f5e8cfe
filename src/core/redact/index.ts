/**
 * Redaction of secrets by rule, for everything pgops writes, exports or logs (see rules.ts for
 * the rule set and its marker). Pure functions; src/core/report/redact.ts applies them to reports.
 */
import type { Logger } from '../log';
import { redactText } from './statement';

export { countMarkers, marker, redactionRules, redactionRuleSet } from './rules';
export type { RedactionRule } from './rules';
export { isCommandName, isSecretName } from './names';
export { redactConninfo } from './conninfo';
export { redactText } from './statement';
export { redactSetting } from './settings';
export { redactMountOptions } from './mounts';

/** A logger that redacts every message before `target` sees it: messages can quote server text. */
export function redactingLogger(target: Logger): Logger {
  return {
    trace: (m) => target.trace(redactText(m)),
    debug: (m) => target.debug(redactText(m)),
    info: (m) => target.info(redactText(m)),
    warn: (m) => target.warn(redactText(m)),
    error: (m) => target.error(redactText(m)),
  };
}
