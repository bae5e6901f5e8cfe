import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CliIo } from '../../src/cli/command';
import { main } from '../../src/cli/main';
import { readReport } from '../../src/core/report/read';

const root = path.resolve(__dirname, '..', '..', '..');
const sameHost = path.join(root, 'test', 'fixtures', 'reports', 'perfbench', 'same-host');

function io(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), env: {}, cwd: root };
}

describe('pgops join and pgops report (CLI)', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-joincli-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('joins a folder with a bundled task name, writes NAME.pgperf.json and NAME.html, exit 0', async () => {
    const c = io();
    const code = await main(
      ['join', '--task', 'same-host-different-config', '--input-dir', sameHost, '--report-name', 'cmp', '--out', tmp],
      c,
    );
    assert.equal(code, 0, c.stderr.join('\n'));
    assert.match(
      c.stdout.join('\n'),
      /joined 2 reports \(reference "benchmark-config-a"\)[\s\S]*differs: sections\.db\.reports\.pg_settings\.data/,
    );
    const merged = readReport(path.join(tmp, 'cmp.pgperf.json'));
    assert.deepEqual(
      merged.pgops?.join?.reports.map((r) => r.name),
      ['benchmark-config-a', 'benchmark-config-b'],
    );
    assert.match(fs.readFileSync(path.join(tmp, 'cmp.html'), 'utf8'), /^<!DOCTYPE html>/);
  });

  it('exits 1 on a listed mismatch with item, reference, differing report and diff, and writes nothing', async () => {
    for (const f of fs.readdirSync(sameHost)) fs.copyFileSync(path.join(sameHost, f), path.join(tmp, f));
    const c = io();
    const code = await main(
      [
        'join',
        '--task',
        path.join(root, 'media', 'join-tasks', 'repeatability.json'),
        '--input-dir',
        tmp,
        '--reference',
        'benchmark-config-b',
        '--report-name',
        'rep',
      ],
      c,
    );
    assert.equal(code, 1);
    const mismatch =
      'pgops join: listed item sections.db.reports.pg_settings.data differs: reference report "benchmark-config-b", ' +
      'differing report "benchmark-config-a"\n  at data[1][1]\n  - "19200"\n  + "31104"';
    assert.ok(c.stderr.join('\n').includes(mismatch), c.stderr.join('\n'));
    assert.deepEqual(fs.readdirSync(tmp).sort(), ['benchmark-config-a.json', 'benchmark-config-b.json']);
  });

  it('exits 2 without --report-name, and 1 with a clear message for a missing task file', async () => {
    const c = io();
    assert.equal(await main(['join', '--task', 'repeatability', '--input-dir', sameHost], c), 2);
    assert.match(c.stderr.join('\n'), /missing required option --report-name/);
    const c2 = io();
    assert.equal(
      await main(['join', '--task', path.join(tmp, 'nope.json'), '--input-dir', sameHost, '--report-name', 'x'], c2),
      1,
    );
    assert.match(c2.stderr.join('\n'), /cannot read the join task .*nope\.json: ENOENT/);
  });

  it('report show prints the summary and results; report html writes the HTML next to it', async () => {
    const c = io();
    assert.equal(await main(['report', 'show', path.join(sameHost, 'benchmark-config-a.json')], c), 0);
    const out = c.stdout.join('\n');
    assert.match(out, /^benchmark-config-a — PostgreSQL database benchmark report/);
    assert.match(out, /server: {2}PostgreSQL 16\.4/);
    assert.match(out, /\n\s+5\s+5\s+2149\.9\s+2\.326/);
    fs.copyFileSync(path.join(sameHost, 'benchmark-config-a.json'), path.join(tmp, 'a.json'));
    const c2 = io();
    assert.equal(await main(['report', 'html', path.join(tmp, 'a.json')], c2), 0);
    assert.ok(fs.existsSync(path.join(tmp, 'a.html')));
  });

  it('report show on a broken file exits 1 naming the file and JSON path', async () => {
    const c = io();
    const file = path.join(root, 'test', 'fixtures', 'reports', 'broken', 'bad-item-type.json');
    assert.equal(await main(['report', 'show', file], c), 1);
    assert.match(
      c.stderr.join('\n'),
      /bad-item-type\.json: sections\.system\.reports\.cpu_info\.item_type: expected one of/,
    );
  });
});
