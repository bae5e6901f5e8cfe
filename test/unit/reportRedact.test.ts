import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { marker } from '../../src/core/redact';
import { renderReportHtml } from '../../src/core/report/html';
import { newReport, plainTextItem, setItem, tableItem } from '../../src/core/report/items';
import { joinReports } from '../../src/core/report/join';
import type { Report } from '../../src/core/report/model';
import { readReport } from '../../src/core/report/read';
import { redactReport } from '../../src/core/report/redact';
import { writeReportAtomic } from '../../src/core/report/write';

const secrets = {
  conninfo: 'Kv5ecretConn',
  command: 'Cmd5ecretArch',
  token: 'Tok5ecretExt',
  role: 'Rol5ecretPw',
  fstab: 'Fst5ecretMnt',
  error: 'Err5ecretMsg',
};

/** A report as a sweep leaves it before redaction, with one secret of each kind where collectors put them. */
function plantedReport(name: string, conninfo = `host=db1 user=rep password=a\\ ${secrets.conninfo}`): Report {
  const r = newReport({ reportName: name, startedAt: new Date('2026-01-02T03:04:05Z') });
  setItem(
    r,
    'db',
    'pg_settings',
    tableItem(
      'PostgreSQL settings',
      ['name', 'setting', 'unit', 'source', 'non_default'],
      [
        ['archive_command', `cp %p /arch/${secrets.command}`, null, 'configuration file', true],
        ['myext.api_token', secrets.token, null, 'configuration file', true],
        ['primary_conninfo', conninfo, null, 'configuration file', true],
        ['work_mem', '4096', 'kB', 'default', false],
      ],
    ),
  );
  setItem(
    r,
    'system',
    'etc_fstab',
    plainTextItem('fstab', `//nas/s /mnt cifs username=bob,password=${secrets.fstab} 0 0\n`),
  );
  setItem(
    r,
    'result',
    'top_statements',
    tableItem('Top statements', ['iteration', 'query'], [[0, `ALTER ROLE app PASSWORD '${secrets.role}'`]]),
  );
  r.pgops?.iterations.push({
    index: 0,
    value: 1,
    clients: 1,
    status: 'complete',
    tps: 1,
    latencyAvgMs: 1,
    latencyStddevMs: 0,
    initialConnectionMs: 1,
    processed: 1,
    failed: 0,
    skipped: 0,
    topStatements: [{ query: `ALTER ROLE app PASSWORD '${secrets.role}'`, calls: 1, totalMs: 1, meanMs: 1, rows: 0 }],
  });
  if (r.pgops) r.pgops.error = { message: `connection to postgresql://rep:${secrets.error}@db1 failed` };
  return r;
}

function assertClean(text: string, where: string): void {
  for (const [kind, s] of Object.entries(secrets)) assert.ok(!text.includes(s), `${where} holds the ${kind} secret`);
}

describe('report redaction', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-redact-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('redacts settings by name, fstab options, statements and messages, and records the rule set with per-rule counts', () => {
    const r = redactReport(plantedReport('a'));
    assertClean(JSON.stringify(r), 'the redacted report');
    const settings = r.sections.db.reports.pg_settings.data as unknown[][];
    assert.deepEqual(
      settings.map((row) => row[1]),
      [
        marker('setting-command'),
        marker('setting-secret'),
        `host=db1 user=rep password=${marker('conninfo-password')}`,
        '4096',
      ],
    );
    assert.equal(
      r.sections.system.reports.etc_fstab.data,
      `//nas/s /mnt cifs username=bob,password=${marker('mount-secret')} 0 0\n`,
    );
    assert.equal(r.pgops?.iterations[0].topStatements?.[0].query, `ALTER ROLE app PASSWORD ${marker('role-password')}`);
    const counts = {
      'setting-command': 1,
      'setting-secret': 1,
      'conninfo-password': 2,
      'mount-secret': 1,
      'role-password': 2,
    };
    assert.deepEqual(r.pgops?.redaction, { ruleSet: 'pgops-redact/1', counts });
    assert.deepEqual(redactReport(r), r, 'redacting twice changes nothing, counts included');
  });

  it('leaves the unredacted report untouched (the sweep keeps comparing raw facts)', () => {
    const raw = plantedReport('a');
    const before = JSON.stringify(raw);
    redactReport(raw);
    assert.equal(JSON.stringify(raw), before);
  });

  it('writes, reads and exports only redacted reports, also from a file written before redaction existed', () => {
    const file = path.join(tmp, 'a.pgperf.json');
    writeReportAtomic(file, plantedReport('a'));
    assertClean(fs.readFileSync(file, 'utf8'), 'the written report');
    const old = path.join(tmp, 'old.pgperf.json');
    fs.writeFileSync(old, JSON.stringify(plantedReport('old')));
    const read = readReport(old);
    assertClean(JSON.stringify(read), 'a report read from an unredacted file');
    assert.equal(read.pgops?.redaction?.ruleSet, 'pgops-redact/1');
    const html = renderReportHtml(plantedReport('a'), { script: '/* viewer */' });
    assertClean(html, 'the HTML');
    assert.match(html, /\(pgops-redact\/1 rule setting-command\)/);
  });

  it('redacts a join of unredacted reports: the settings diff and side-by-side values', () => {
    const a = plantedReport('a');
    const b = plantedReport('b', `postgresql://:${secrets.conninfo}@db2/app`);
    setItem(
      b,
      'system',
      'etc_fstab',
      plainTextItem('fstab', `//nas/t /mnt cifs credentials=/root/.${secrets.fstab} 0 0\n`),
    );
    const inputs = [
      { file: 'a.pgperf.json', report: a },
      { file: 'b.pgperf.json', report: b },
    ];
    const merged = joinReports(inputs, { task: { description: '', items: [] }, reportName: 'j' });
    const file = path.join(tmp, 'j.pgperf.json');
    writeReportAtomic(file, merged);
    const j = readReport(file);
    assertClean(fs.readFileSync(file, 'utf8'), 'the joined report');
    const diff = j.sections.db.reports.pg_settings;
    assert.deepEqual(diff.theader, ['setting', 'a', 'b']);
    assert.deepEqual(
      (diff.data as unknown[][]).find((row) => row[0] === 'primary_conninfo'),
      [
        'primary_conninfo',
        `host=db1 user=rep password=${marker('conninfo-password')}`,
        `postgresql://:${marker('conninfo-password')}@db2/app`,
      ],
    );
    assert.deepEqual(j.sections.system.reports.etc_fstab.data, [
      ['a', `//nas/s /mnt cifs username=bob,password=${marker('mount-secret')} 0 0\n`],
      ['b', `//nas/t /mnt cifs credentials=${marker('mount-secret')} 0 0\n`],
    ]);
    assert.ok((j.pgops?.redaction?.counts['mount-secret'] ?? 0) >= 2);
  });

  it('redacts a pg_perfbench report (no pgops block) by its markers alone, adding no block', () => {
    const r = plantedReport('pf');
    delete r.pgops;
    const red = redactReport(r);
    assertClean(JSON.stringify(red), 'the pg_perfbench report');
    assert.equal(red.pgops, undefined);
  });
});
