/**
 * CLI conventions, through the real `pgops` process: `--out` takes a folder or a file, `slots --warn-bytes`
 * gives monitoring scripts an exit code, and the completion script completes in a real bash.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Report } from '../../src/core/report';
import { forEachServer, repoRoot, tempDir } from '../support/servers';
import { cliEnv, runCliProcess } from './cliProcess';

const fixtures = path.join(repoRoot, 'test', 'fixtures', 'reports', 'perfbench', 'same-host');

forEachServer('pgops slots --warn-bytes (exit code for monitoring scripts)', (srv) => {
  let home: string;
  before(() => (home = tempDir('cli-slots')));
  after(() => fs.rmSync(home, { recursive: true, force: true }));
  const conn = () => `host=127.0.0.1 port=${srv().port} user=postgres dbname=postgres`;
  const slots = (...args: string[]) =>
    runCliProcess(['slots', '--conn', conn(), ...args], { env: cliEnv(home, { PGPASSWORD: srv().password }) });

  it('exits 1 naming each slot over the limit on stderr, and 0 when none is; the table is printed either way', async () => {
    const admin = await srv().admin();
    await admin.query("SELECT pg_create_physical_replication_slot('cli_warn_slot', true)");
    try {
      // WAL written after the slot reserved its start: the slot retains at least this much
      await admin.query(
        'CREATE TABLE cli_warn_wal AS SELECT g, repeat($1, 100) AS pad FROM generate_series(1, 2000) g',
        ['x'],
      );
      await admin.query('DROP TABLE cli_warn_wal');
      const listed = await slots('--json');
      assert.equal(listed.code, 0, listed.err);
      const retained = (JSON.parse(listed.out) as Array<{ slotName: string; retainedBytes: number }>).find(
        (s) => s.slotName === 'cli_warn_slot',
      )?.retainedBytes;
      assert.ok(retained && retained > 1024, `the slot retains WAL: ${retained}`);

      const over = await slots('--warn-bytes', String(retained - 1));
      assert.equal(over.code, 1, over.err);
      assert.match(
        over.err,
        /pgops slots: slot "cli_warn_slot" retains \d+ bytes \(.*\) of WAL, over --warn-bytes \d+/,
      );
      assert.match(over.out, /cli_warn_slot/);

      const under = await slots('--warn-bytes', '1TB');
      assert.equal(under.code, 0, under.err);
      assert.equal(under.err, '');
      assert.match(under.out, /cli_warn_slot/);
    } finally {
      await admin.query("SELECT pg_drop_replication_slot('cli_warn_slot')");
      await admin.end();
    }
  });
});

describe('pgops --out takes a folder or a file', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = tempDir('cli-out');
    fs.mkdirSync(path.join(dir, 'in'));
    fs.copyFileSync(path.join(fixtures, 'benchmark-config-a.json'), path.join(dir, 'in', 'a.json'));
    fs.copyFileSync(path.join(fixtures, 'benchmark-config-b.json'), path.join(dir, 'in', 'b.json'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const pgops = (...args: string[]) => runCliProcess(args, { env: cliEnv(dir), cwd: dir });

  it('report html --out DIR writes NAME.html into the folder; --out FILE.html writes that file', async () => {
    fs.mkdirSync(path.join(dir, 'html'));
    const intoFolder = await pgops('report', 'html', 'in/a.json', '--out', 'html');
    assert.equal(intoFolder.code, 0, intoFolder.err);
    assert.equal(intoFolder.out.trim(), `wrote ${path.join(dir, 'html', 'a.html')}`);
    assert.match(fs.readFileSync(path.join(dir, 'html', 'a.html'), 'utf8'), /^<!DOCTYPE html>/i);

    const asFile = await pgops('report', 'html', 'in/a.json', '--out', 'html/mine.html', '--json');
    assert.equal(asFile.code, 0, asFile.err);
    assert.deepEqual(JSON.parse(asFile.out), { html: path.join(dir, 'html', 'mine.html') });
    assert.deepEqual(fs.readdirSync(path.join(dir, 'html')).sort(), ['a.html', 'mine.html']);
  });

  it('join --out FILE.json writes the merged report there and its HTML beside it; --out DIR derives the name', async () => {
    const join = (out: string) =>
      pgops('join', '--task', 'same-host-different-config', '--input-dir', 'in', '--report-name', 'cmp', '--out', out);
    const asFile = await join('merged.json');
    assert.equal(asFile.code, 0, asFile.err);
    const merged = JSON.parse(fs.readFileSync(path.join(dir, 'merged.json'), 'utf8')) as Report;
    assert.equal(merged.report_name, 'cmp');
    assert.ok(fs.existsSync(path.join(dir, 'merged.html')));

    const intoFolder = await join('joined');
    assert.equal(intoFolder.code, 0, intoFolder.err);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'joined')).sort(), ['cmp.html', 'cmp.pgperf.json']);
  });
});

describe('pgops completion, sourced into a real bash', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => (dir = tempDir('cli-completion')));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Sources the script in a clean bash, then asks `_pgops` to complete `words` (the last one being typed). */
  function complete(script: string, words: string[]): { registered: string; replies: string[] } {
    const file = path.join(dir, 'pgops.bash');
    fs.writeFileSync(file, `${script}\n`);
    const program = [
      'source "$1"; shift',
      'complete -p pgops',
      'COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))',
      '_pgops',
      'printf "reply:%s\\n" "${COMPREPLY[@]}"',
    ].join('\n');
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', program, 'bash', file, ...words], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    const lines = r.stdout.split('\n').filter(Boolean);
    return {
      registered: lines[0],
      replies: lines
        .filter((l) => l.startsWith('reply:'))
        .map((l) => l.slice('reply:'.length))
        .filter(Boolean),
    };
  }

  it('completes a subcommand, its actions and its options from the command table', async () => {
    const gen = await runCliProcess(['completion', 'bash'], { env: cliEnv(dir) });
    assert.equal(gen.code, 0, gen.err);
    const script = gen.out;

    const sub = complete(script, ['pgops', 'sl']);
    assert.equal(sub.registered, 'complete -o default -F _pgops pgops');
    assert.deepEqual(sub.replies, ['slots']);
    assert.deepEqual(complete(script, ['pgops', 's']).replies.sort(), ['sandbox', 'slots', 'stats']);

    assert.deepEqual(complete(script, ['pgops', 'slots', '--warn']).replies, ['--warn-bytes']);
    assert.deepEqual(complete(script, ['pgops', 'report', 'h']).replies, ['html']);
    assert.deepEqual(complete(script, ['pgops', 'bench', '--no-c']).replies, ['--no-checkpoint']);
    // after a flag that takes a value, bash's own file-name completion takes over (-o default)
    assert.deepEqual(complete(script, ['pgops', 'report', 'html', 'a.json', '--out', '']).replies, []);
  });

  it('prints a zsh script that registers the same commands', async () => {
    const gen = await runCliProcess(['completion', 'zsh'], { env: cliEnv(dir) });
    assert.equal(gen.code, 0, gen.err);
    assert.match(gen.out, /^#compdef pgops\n/);
    assert.match(gen.out, /'slots:replication slots with the WAL they retain, and standbys'/);
    assert.match(gen.out, /\(slots\)\n\s+actions=\(\)\n\s+flags=\([^)\n]*--warn-bytes[^)\n]*\)/);
    assert.match(gen.out, /\(report\)\n\s+actions=\(show html\)/);
    assert.match(gen.out, /compdef _pgops pgops/);
  });
});
