/**
 * The redaction rule set: its version, its rules, and the visible marker that stands where a
 * secret was. The version names the rules, so a report says which rules cleaned it; a change of
 * what any rule hides is a new version.
 */
export const redactionRuleSet = 'pgops-redact/1';

export type RedactionRule =
  'role-password' | 'secret-option' | 'conninfo-password' | 'setting-command' | 'setting-secret' | 'mount-secret';

/** What each rule hides, in the words its marker uses. */
const ruleHides: Record<RedactionRule, string> = {
  'role-password': 'password',
  'secret-option': 'secret option value',
  'conninfo-password': 'connection password',
  'setting-command': 'shell command',
  'setting-secret': 'secret setting value',
  'mount-secret': 'mount credentials',
};

export const redactionRules = Object.keys(ruleHides) as RedactionRule[];

const markerStart = '[redacted: ';

/** The text that replaces a secret: what was hidden, and by which rule of which version. */
export function marker(rule: RedactionRule): string {
  return `${markerStart}${ruleHides[rule]} (${redactionRuleSet} rule ${rule})]`;
}

/** A value that is already a marker is left alone, so redacting twice changes nothing. */
export function isMarkerAt(text: string, at: number): boolean {
  return text.startsWith(markerStart, at);
}

const markerPattern = /\[redacted: [^\]]* \(pgops-redact\/\d+ rule ([a-z-]+)\)\]/g;

/** How many markers of each rule a text holds (any version of the rule set). */
export function countMarkers(text: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(markerPattern)) counts[m[1]] = (counts[m[1]] ?? 0) + 1;
  return counts;
}
