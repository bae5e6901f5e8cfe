/**
 * Passwords inside connection strings, wherever they are: a setting (`primary_conninfo`), a
 * literal in a statement (`CREATE SUBSCRIPTION … CONNECTION '…'`, `dblink_connect('…')`), a log
 * line. Both forms libpq reads (src/core/conn/conninfo.ts parses them for connecting):
 * - URI: the password of the user info, also with an empty user (`postgresql://:secret@host`), a
 *   percent-encoded one, a multi-host URI, and `?password=` (or another secret keyword) in the query;
 * - keyword/value: `password=` with libpq's value syntax: single quotes with backslash escapes, or
 *   a bare value in which a backslash escapes the next character (`password=a\ b` is one value).
 * The whole value becomes the marker; host, port, user and the other keywords stay.
 */
import { isMarkerAt, marker } from './rules';

/** libpq's secret keywords (src/core/conn/params.ts secretKeywords), and PGPASSWORD of a command line. */
const secretKeywords = [
  'password',
  'sslpassword',
  'oauth_client_secret',
  'scram_client_key',
  'scram_server_key',
  'pgpassword',
];
const keywordPattern = new RegExp(`(?<=^|[\\s'"(,;])(?:${secretKeywords.join('|')})\\s*=\\s*`, 'gi');
const uriPrefix = /postgres(?:ql)?:\/\//gi;
const wholeUri = /^\s*postgres(?:ql)?:\/\//i;
// where user info and query end: in a text that is one URI, and in a URI inside other text
const authorityEnd = { whole: /[?#\n]/, inText: /[?#\s'"`]/ };
const queryEnd = { whole: /[#\n]/, inText: /[#\s'"`]/ };
const space = /\s/;
const ampersand = /&/;
const mayHoldPassword = /pass|secret|_key|:\/\//i;

interface Span {
  start: number;
  end: number;
}

/** End of a keyword/value value at `at`: a quoted value to its closing quote, a bare one to unescaped whitespace. */
function valueEnd(text: string, at: number): number {
  let i = at;
  if (text[i] === "'") {
    for (i++; i < text.length; i++) {
      if (text[i] === '\\') i++;
      else if (text[i] === "'") return i + 1;
    }
    return text.length;
  }
  while (i < text.length && !space.test(text[i])) i += text[i] === '\\' ? 2 : 1;
  return Math.min(i, text.length);
}

function keywordValueSpans(text: string): Span[] {
  const spans: Span[] = [];
  for (const m of text.matchAll(keywordPattern)) {
    const start = (m.index ?? 0) + m[0].length;
    if (start >= text.length || isMarkerAt(text, start)) continue;
    const end = valueEnd(text, start);
    if (end > start) spans.push({ start, end });
  }
  return spans;
}

/**
 * The password spans of every URI in the text. The user info runs to the last "@" before the end
 * of the authority; a text that is one whole URI may hold spaces there, a URI inside other text ends
 * at whitespace or a quote. A "/" does not end the search: a password with a raw "/" is still hidden.
 */
function uriSpans(text: string): Span[] {
  const whole = wholeUri.test(text);
  const stopAt = whole ? authorityEnd.whole : authorityEnd.inText;
  const spans: Span[] = [];
  for (const m of text.matchAll(uriPrefix)) {
    const from = (m.index ?? 0) + m[0].length;
    let stop = from;
    while (stop < text.length && !stopAt.test(text[stop])) stop++;
    const at = text.lastIndexOf('@', stop - 1);
    if (at >= from) {
      const colon = text.indexOf(':', from);
      if (colon >= 0 && colon < at && colon + 1 < at && !isMarkerAt(text, colon + 1))
        spans.push({ start: colon + 1, end: at });
    }
    if (text[stop] === '?') spans.push(...queryValueSpans(text, stop + 1, whole));
  }
  return spans;
}

function queryValueSpans(text: string, from: number, whole: boolean): Span[] {
  const spans: Span[] = [];
  const end = (re: RegExp, at: number) => {
    let i = at;
    while (i < text.length && !re.test(text[i])) i++;
    return i;
  };
  const last = end(whole ? queryEnd.whole : queryEnd.inText, from);
  for (let p = from; p < last;) {
    const pairEnd = Math.min(end(ampersand, p), last);
    const eq = text.indexOf('=', p);
    if (eq >= 0 && eq < pairEnd && eq + 1 < pairEnd && !isMarkerAt(text, eq + 1)) {
      const key = decodeURIComponentLoose(text.slice(p, eq)).toLowerCase();
      if (secretKeywords.includes(key)) spans.push({ start: eq + 1, end: pairEnd });
    }
    p = pairEnd + 1;
  }
  return spans;
}

function decodeURIComponentLoose(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Replaces each span (merged where they overlap) by the marker of `rule`, from the end so indexes stay valid. */
export function replaceSpans(text: string, spans: Span[], replacement: string): string {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const merged: Span[] = [];
  for (const s of sorted) {
    const last = merged[merged.length - 1];
    if (last && s.start < last.end) last.end = Math.max(last.end, s.end);
    else merged.push({ ...s });
  }
  let out = text;
  for (const s of merged.reverse()) out = out.slice(0, s.start) + replacement + out.slice(s.end);
  return out;
}

/** A value pgops itself already masked (maskUri's `********`, quoted or not) holds no secret. */
const alreadyMasked = /^'?\*+'?$/;

/** The text with every connection-string password replaced by the conninfo-password marker. */
export function redactConninfo(text: string): string {
  if (!mayHoldPassword.test(text)) return text;
  const spans = [...uriSpans(text), ...keywordValueSpans(text)].filter(
    (s) => !alreadyMasked.test(text.slice(s.start, s.end)),
  );
  return spans.length ? replaceSpans(text, spans, marker('conninfo-password')) : text;
}
