import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { jsonForHtml, renderReportHtml } from '../../src/core/report/html';
import {
  chartItem,
  newReport,
  pgbenchOutputsHeader,
  pgbenchOutputsItem,
  setItem,
  tableFromObjects,
  tpsChartItem,
} from '../../src/core/report/items';
import { isJoinedItem } from '../../src/core/report/model';
import { parseReportText, readReport } from '../../src/core/report/read';
import { writeReportAtomic } from '../../src/core/report/write';

describe('report model, builders and files', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-report-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('builds a table from objects the way pg_perfbench does: union of keys in first-seen order, null where missing', () => {
    const item = tableFromObjects('lshw', [
      { id: 'cpu', size: 1 },
      { id: 'mem', configuration: { slots: '4' } },
    ]);
    assert.deepEqual(item.theader, ['id', 'size', 'configuration']);
    assert.deepEqual(item.data, [
      ['cpu', 1, null],
      ['mem', null, { slots: '4' }],
    ]);
    assert.deepEqual(item.python_command, 'lshw');
  });

  it("writes pg_perfbench's result table and chart from structured iterations", () => {
    const its = [
      {
        index: 0,
        value: 5,
        clients: 5,
        status: 'complete' as const,
        tps: 2475.089,
        latencyAvgMs: 2.02,
        latencyStddevMs: 0.1,
        initialConnectionMs: 3.8,
        processed: 24746,
        failed: 0,
        skipped: 0,
        durationS: 10,
      },
    ];
    const outputs = pgbenchOutputsItem(its);
    assert.deepEqual(outputs.theader, pgbenchOutputsHeader);
    assert.deepEqual(outputs.data, [[5, 10, 24746, 2.02, 3.8, 2475.089]]);
    const chart = tpsChartItem([{ name: 'r', points: [[5, 2475.089]] }], 'pgbench_clients');
    assert.deepEqual((chart.data as { series: unknown }).series, [{ name: 'r', data: [[5, 2475.1]] }]);
  });

  it('writes a report atomically (no temp file left) and reads it back equal, with the redaction rule set recorded', () => {
    const r = newReport({ reportName: 'atomic', startedAt: new Date('2026-11-02T10:00:00Z') });
    setItem(r, 'result', 'chart', chartItem('plots', { series: [] }));
    const file = path.join(tmp, 'atomic.pgperf.json');
    writeReportAtomic(file, r);
    writeReportAtomic(file, r);
    assert.deepEqual(fs.readdirSync(tmp), ['atomic.pgperf.json']);
    assert.deepEqual(readReport(file), {
      ...r,
      pgops: { ...r.pgops, redaction: { ruleSet: 'pgops-redact/1', counts: {} } },
    });
    assert.equal(r.description, '02/11/2026 10:00:00');
  });

  it('names the JSON path of a bad pgops block and refuses a newer schema version', () => {
    const r = newReport({ reportName: 'x' });
    const bad = JSON.parse(JSON.stringify(r)) as { pgops: Record<string, unknown> };
    bad.pgops.iterations = [{ value: 1, clients: 1, tps: 'fast' }];
    assert.throws(
      () => parseReportText(JSON.stringify(bad), 'x.pgperf.json'),
      /x\.pgperf\.json: pgops\.iterations\[0\]\.tps: expected a number or null, found a string/,
    );
    bad.pgops.iterations = [];
    bad.pgops.schemaVersion = 2;
    assert.throws(
      () => parseReportText(JSON.stringify(bad), 'x.pgperf.json'),
      /pgops\.schemaVersion: version 2 is newer than this pgops understands/,
    );
  });

  it('tells a joined table (rows per report) from a two-column table of strings', () => {
    assert.equal(
      isJoinedItem({
        item_type: 'table',
        data: [
          ['shared_buffers', '128MB'],
          ['work_mem', '4MB'],
        ],
      }),
      false,
    );
    assert.equal(
      isJoinedItem({
        item_type: 'table',
        data: [
          ['r1', [[1, 2]]],
          ['r2', null],
        ],
      }),
      true,
    );
    assert.equal(
      isJoinedItem({
        item_type: 'plain_text',
        data: [
          ['r1', 'a'],
          ['r2', 'b'],
        ],
      }),
      true,
    );
  });

  it('embeds the report as inert JSON: no "<", ">" or "&" survive, and it parses back equal', () => {
    const value = { s: '</script><script>alert(1)</script>&amp;\u2028' };
    const text = jsonForHtml(value);
    assert.doesNotMatch(text, /[<>&\u2028]/);
    assert.deepEqual(JSON.parse(text), value);
    const html = renderReportHtml(newReport({ reportName: '</title><script>x</script>' }), {
      script: 'console.log("</script>")',
    });
    assert.equal(html.match(/<script\b/gi)?.length, 2);
    assert.match(html, /<title>&lt;\/title&gt;&lt;script&gt;x&lt;\/script&gt; — /);
    assert.match(html, /content="default-src 'none'; script-src 'nonce-[^']+'; style-src 'nonce-[^']+'/);
  });
});
