import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { joinReports } from '../../src/core/report/join';
import { readReport } from '../../src/core/report/read';
import { reportView } from '../../src/core/report/view';
import type { HostToLiveRun, HostToPeek, HostToStatement, HostToViewer } from '../../src/protocol';
import {
  isHostToLiveRun,
  isHostToPeek,
  isHostToStatement,
  isHostToViewer,
  isLiveRunToHost,
  isPeekToHost,
  isReportView,
  isStatementToHost,
  isViewerToHost,
} from '../../src/protocol';

const root = path.resolve(__dirname, '..', '..', '..');
const fixture = (name: string) => path.join(root, 'test', 'fixtures', 'reports', 'perfbench', 'same-host', name);
/** What a page receives: postMessage clones the value, so undefined fields vanish as in JSON. */
const cloned = <T>(m: T): unknown => structuredClone(m);

const statementShow: HostToStatement = {
  type: 'show',
  canExplain: false,
  explainNote: 'EXPLAIN (GENERIC_PLAN) needs PostgreSQL 16 or later',
  points: [{ at: 1000, seconds: 5, calls: 10, totalMs: 20, rows: 10 }],
  statement: {
    queryid: '-42',
    query: 'SELECT 1',
    user: 'app',
    database: 'shop',
    toplevel: null,
    calls: 40,
    totalMs: 70,
    meanMs: 1.75,
    rows: 40,
    sharePct: 12.5,
    statsSince: null,
    counters: { calls: 40, sharedBlksRead: 7 },
    gauges: { maxExecMs: 9.5 },
  },
};

const peekShow: HostToPeek = {
  type: 'show',
  slotName: 'orders_slot',
  plugin: 'pgoutput',
  options: { proto_version: '4', publication_names: 'orders_pub' },
  rows: [
    { lsn: '0/16B3748', xid: '751', kind: 'BEGIN', text: 'BEGIN 751' },
    { lsn: '0/16B3790', xid: '751', kind: 'INSERT', relation: 'public.orders', text: 'id=1' },
  ],
  limit: 100,
  warnings: [],
};

const liveRun: HostToLiveRun[] = [
  { type: 'start', title: 'pgbench sweep on sandbox', iterName: 'pgbench_clients', values: [1, 4] },
  { type: 'phase', message: 'collecting the environment' },
  { type: 'iteration-start', index: 0, value: 1, commandLine: 'pgbench -c 1 -T 5' },
  { type: 'progress', index: 0, point: { t: 1, tps: 812.5, latencyMs: 1.2 } },
  {
    type: 'iteration-end',
    summary: { index: 0, value: 1, status: 'complete', tps: 800, latencyAvgMs: 1.25, p95Ms: null },
  },
  { type: 'done', status: 'complete', message: '2 iterations' },
];

describe('protocol guards: what each side accepts from the other', () => {
  it('accept every message the pages send and nothing else', () => {
    for (const type of ['ready', 'openInEditor', 'explain']) assert.ok(isStatementToHost({ type }), type);
    assert.ok(isPeekToHost({ type: 'ready' }));
    assert.ok(isLiveRunToHost({ type: 'ready' }));
    assert.ok(isViewerToHost({ type: 'exportHtml' }));
    const hostile: unknown[] = [
      null,
      'ready',
      [{ type: 'ready' }],
      { type: 'openInEditor', content: 'rm -rf /' },
      { type: 'explain', query: 'DROP TABLE t' },
      { type: 'exportHtml', to: '/etc/passwd' },
      { type: 'runSql' },
    ];
    for (const m of hostile) {
      assert.equal(isStatementToHost(m), false, JSON.stringify(m));
      assert.equal(isPeekToHost(m), false, JSON.stringify(m));
      assert.equal(isLiveRunToHost(m), false, JSON.stringify(m));
      assert.equal(isViewerToHost(m), false, JSON.stringify(m));
    }
  });

  it('accept the messages the host sends to the statement, peek and live-run pages', () => {
    assert.ok(isHostToStatement(cloned(statementShow)));
    assert.ok(isHostToStatement(cloned({ ...statementShow, explainNote: undefined })));
    assert.ok(isHostToStatement({ type: 'plan', text: 'Result  (cost=0.00..0.01 rows=1 width=4)' }));
    assert.ok(isHostToStatement({ type: 'error', message: 'permission denied' }));
    assert.ok(isHostToPeek(cloned(peekShow)));
    for (const m of liveRun) assert.ok(isHostToLiveRun(cloned(m)), m.type);
  });

  it('reject host messages whose fields the page would misdraw', () => {
    const bad: Array<[string, (m: unknown) => boolean, unknown]> = [
      [
        'statement calls as text',
        isHostToStatement,
        { ...statementShow, statement: { ...statementShow.statement, calls: '40' } },
      ],
      [
        'statement counter NaN',
        isHostToStatement,
        { ...statementShow, statement: { ...statementShow.statement, counters: { calls: NaN } } },
      ],
      ['statement point without time', isHostToStatement, { ...statementShow, points: [{ calls: 1 }] }],
      ['plan without text', isHostToStatement, { type: 'plan' }],
      [
        'peek row text as object',
        isHostToPeek,
        { ...peekShow, rows: [{ ...peekShow.rows[0], text: { html: '<b>' } }] },
      ],
      ['peek option as number', isHostToPeek, { ...peekShow, options: { proto_version: 4 } }],
      ['live progress without tps', isHostToLiveRun, { type: 'progress', index: 0, point: { t: 1, latencyMs: 1 } }],
      ['live negative index', isHostToLiveRun, { type: 'iteration-start', index: -1, value: 1, commandLine: 'x' }],
      ['live unknown type', isHostToLiveRun, { type: 'toString' }],
      ['live start values as text', isHostToLiveRun, { type: 'start', title: 't', iterName: 'c', values: ['1'] }],
    ];
    for (const [name, guard, m] of bad) assert.equal(guard(m), false, name);
  });

  it('accept a report view of pg_perfbench reports and their join, and name the joined items', () => {
    const a = readReport(fixture('benchmark-config-a.json'));
    const b = readReport(fixture('benchmark-config-b.json'));
    const merged = joinReports(
      [
        { file: 'a.json', report: a },
        { file: 'b.json', report: b },
      ],
      { task: { description: 'x', items: ['sections.db.reports.version_major.data'] }, reportName: 'joined' },
    );
    const single = reportView(a);
    assert.deepEqual(single.joinedItems, []);
    assert.equal(single.summary.iterations.length, 2);
    const joined = reportView(merged);
    assert.ok(joined.summary.joined);
    assert.ok(
      joined.joinedItems.some(([s, i]) => s === 'result' && i === 'pgbench_outputs'),
      JSON.stringify(joined.joinedItems),
    );
    const message: HostToViewer = { type: 'report', view: joined, fileName: '/reports/joined.json' };
    assert.ok(isHostToViewer(cloned(message)));
    assert.ok(isReportView(JSON.parse(JSON.stringify(single))));
    assert.ok(isHostToViewer({ type: 'error', fileName: 'x.json', message: 'not a report', hint: 'Open a report.' }));
  });

  it('reject a report view without its summary or with malformed joined keys', () => {
    const view = reportView(readReport(fixture('benchmark-config-a.json')));
    assert.equal(isReportView({ ...view, summary: undefined }), false);
    assert.equal(isReportView({ ...view, joinedItems: [['db']] }), false);
    assert.equal(isReportView({ ...view, report: { ...view.report, sections: { db: { reports: 'x' } } } }), false);
    assert.equal(isHostToViewer({ type: 'report', view }), false, 'no fileName');
    assert.equal(isHostToViewer({ type: 'error', fileName: 'x', message: 'm', hint: 3 }), false);
  });
});
