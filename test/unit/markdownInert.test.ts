/**
 * Markdown built from text we do not control stays text: a statement's query stays inside its code
 * block, and names around it never become links, images, HTML, headings or icons. Read the way
 * CommonMark (and marked, which VS Code's hovers use) read it: a backtick fence closes only at a line
 * of at least as many backticks; outside code, a backslash before ASCII punctuation makes it literal.
 */
import * as assert from 'node:assert/strict';
import type { StatementStats } from '../../src/core/diag/statements';
import type { StatementDelta } from '../../src/core/diag/statementDeltas';
import { formatMs, statementTooltipMarkdown } from '../../src/core/diag/statementTooltip';
import { markdownCodeBlock, markdownText } from '../../src/core/markdown';

const asciiPunctuation = /[!-/:-@[-`{-~]/;
const lineBreak = /\r\n|\r|\n/;

/** A leading fenced code block as CommonMark reads it: its info string, its content and the Markdown after it. */
function fencedBlock(md: string): { info: string; content: string; rest: string } {
  const lines = md.split(lineBreak);
  const open = /^(`{3,})([^`]*)$/.exec(lines[0]);
  assert.ok(open, `starts with a backtick fence: ${JSON.stringify(md.slice(0, 40))}`);
  const closing = new RegExp(`^ {0,3}\`{${open[1].length},}[ \\t]*$`);
  const close = lines.findIndex((l, i) => i > 0 && closing.test(l));
  assert.ok(close > 0, 'the fence is closed');
  return { info: open[2], content: lines.slice(1, close).join('\n'), rest: lines.slice(close + 1).join('\n') };
}

/** Escaped plain text read back; fails on any ASCII punctuation left unescaped, since it could start markup. */
function plainText(md: string): string {
  let out = '';
  for (let i = 0; i < md.length; i++) {
    if (md[i] === '\\' && asciiPunctuation.test(md[i + 1] ?? '')) {
      out += md[++i];
      continue;
    }
    assert.ok(
      !asciiPunctuation.test(md[i]) && !lineBreak.test(md[i]),
      `unescaped ${JSON.stringify(md[i])} at ${i} in ${JSON.stringify(md)}`,
    );
    out += md[i];
  }
  return out;
}

const hostileQueries = [
  'SELECT 1 AS "```"\n[click](command:pgops.stopSandbox)',
  'SELECT $$\n```\n![pixel](https://evil.example/x.png)\n```\n$$',
  '```sql',
  '   ```',
  '````````````',
  '`',
  '',
  'x\r```\r[a](command:x)',
  'x\r\n```\r\n<img src=x onerror=alert(1)>',
  '~~~\n<script>alert(1)</script>\n~~~',
  '```` inside ``` runs ``',
  '$(zap) &lt; **b** # h',
  `${'x'.repeat(1996)}\n\`\`\`\`\`\`\`\`\n[after the cut](https://evil.example)`,
];

const hostileNames = [
  '[x](command:pgops.stopSandbox)',
  '![i](https://evil.example/i.png)',
  'https://evil.example',
  'www.evil.example',
  'ops@evil.example',
  '<img src=x onerror=alert(1)>',
  '$(zap)',
  '*b* _i_ `c` ~~s~~',
  'a\n\n# Heading\n- item',
  '&amp; | x | \\',
];

function statement(query: string | null, user: string | null, database: string | null): StatementStats {
  return {
    key: 'k',
    userid: 10,
    dbid: 5,
    queryid: '1',
    toplevel: true,
    user,
    database,
    query,
    calls: 3,
    totalMs: 12.5,
    meanMs: 4.1666,
    rows: 3,
    sharePct: 12.34,
    statsSince: null,
    counters: {},
    gauges: {},
  };
}

describe('statement tooltips keep query texts and names as text', () => {
  it('holds every hostile query text whole inside one sql code block', () => {
    for (const q of hostileQueries) {
      const { info, content } = fencedBlock(statementTooltipMarkdown(statement(q, 'ops', 'shop')));
      assert.equal(info, 'sql');
      assert.equal(
        content,
        q.slice(0, 2000).split(lineBreak).join('\n'),
        `the code block holds ${JSON.stringify(q.slice(0, 60))}`,
      );
    }
    assert.equal(fencedBlock(statementTooltipMarkdown(statement(null, null, null))).content, '');
  });

  it('writes the counters, user and database as escaped text: no link, image, HTML, heading or icon', () => {
    for (const name of hostileNames) {
      const { rest } = fencedBlock(statementTooltipMarkdown(statement('SELECT 1', name, name)));
      const flat = name.replace(/\r\n|[\r\n]/g, ' ');
      assert.equal(
        plainText(rest.trim()),
        `3 calls, ${formatMs(12.5)} total, ${formatMs(4.1666)} mean, 3 rows, 12.3% of time · ${flat}@${flat}`,
      );
    }
  });

  it('marks an entry new or restarted in the interval', () => {
    const delta: StatementDelta = { ...statement('SELECT 1', 'ops', 'shop'), restarted: true };
    assert.match(fencedBlock(statementTooltipMarkdown(delta)).rest, /\n\n_\\\(new or restarted in this interval\\\)_$/);
  });
});

describe('markdown helpers for text we do not control', () => {
  it('fences a code block with more backticks than any run in the text; tildes stay inside', () => {
    assert.equal(markdownCodeBlock('a', 'sql'), '```sql\na\n```');
    assert.equal(markdownCodeBlock('x ````` y\n~~~~~~~~'), '``````\nx ````` y\n~~~~~~~~\n``````');
    for (const q of hostileQueries)
      assert.equal(fencedBlock(markdownCodeBlock(q)).content, q.split(lineBreak).join('\n'));
    assert.throws(() => markdownCodeBlock('x', 'sql`\n[a](b)'), /not a code block language/);
  });

  it('escapes every ASCII punctuation character of plain text and flattens its line breaks', () => {
    for (const name of [...hostileNames, ...hostileQueries])
      assert.equal(plainText(markdownText(name)), name.replace(/\r\n|[\r\n]/g, ' '));
    assert.equal(markdownText('a\u2028b'), 'a b');
  });
});
