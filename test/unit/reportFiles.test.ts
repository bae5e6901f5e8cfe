import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PgOpsError } from '../../src/core/errors';
import {
  htmlSiblingOf,
  outputFile,
  outputFolder,
  outputLocation,
  reportFileAt,
  reportFileStem,
  writeReportFiles,
} from '../../src/core/report/files';
import { newReport } from '../../src/core/report/items';
import { readReport } from '../../src/core/report/read';

const assets = { script: 'document.title = "viewer";' };

describe('report files: names', () => {
  it('puts the HTML beside a report, for our .pgperf.json and for pg_perfbench .json', () => {
    assert.equal(htmlSiblingOf('/r/run1.pgperf.json'), '/r/run1.html');
    assert.equal(htmlSiblingOf('/r/run1.json'), '/r/run1.html');
    assert.equal(htmlSiblingOf('/r/Run1.PGPERF.JSON'), '/r/Run1.html');
    assert.equal(reportFileStem('/r/a.pgperf.json'), '/r/a');
    assert.equal(reportFileStem('/r/a.pgperf'), '/r/a.pgperf');
  });

  it('derives a report file from the report name, made safe for every platform', () => {
    assert.equal(reportFileAt({ folder: '/out' }, 'a b/c'), '/out/a_b_c.pgperf.json');
    assert.equal(reportFileAt({ file: '/out/mine.json' }, 'a b/c'), '/out/mine.json');
  });
});

describe('report files: where --out points', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-out-'));
    fs.mkdirSync(path.join(dir, 'existing'));
    fs.writeFileSync(path.join(dir, 'taken.txt'), 'x');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const at = (out: string, fileSuffix = '.html') => outputLocation(out, { flag: '--out', cwd: dir, fileSuffix });

  it('takes an existing folder as a folder, whatever its name', () => {
    fs.mkdirSync(path.join(dir, 'looks.html'));
    assert.deepEqual(at('existing'), { folder: path.join(dir, 'existing') });
    assert.deepEqual(at('looks.html'), { folder: path.join(dir, 'looks.html') });
    assert.equal(outputFile(at('existing'), 'r.html'), path.join(dir, 'existing', 'r.html'));
  });

  it('takes an existing file, or a new name with the suffix, as the file itself', () => {
    assert.deepEqual(at('taken.txt'), { file: path.join(dir, 'taken.txt') });
    assert.deepEqual(at('existing/new.HTML'), { file: path.join(dir, 'existing', 'new.HTML') });
    assert.equal(outputFile(at('new.html'), 'ignored.html'), path.join(dir, 'new.html'));
    assert.equal(outputFolder(at('existing/new.html')), path.join(dir, 'existing'));
  });

  it('takes a new name without the suffix, or ending in a separator, as a folder to create', () => {
    assert.deepEqual(at('fresh'), { folder: path.join(dir, 'fresh') });
    assert.deepEqual(at(`fresh.html${path.sep}`), { folder: path.join(dir, 'fresh.html') });
    assert.deepEqual(at('reports', '.json'), { folder: path.join(dir, 'reports') });
  });

  it('refuses a new file in a missing folder, naming the flag, the folder and what to do', () => {
    assert.throws(
      () => at('no/such/r.html'),
      (err: unknown) => {
        assert.ok(PgOpsError.is(err, 'out-folder'));
        assert.match(err.message, /^--out no\/such\/r\.html: cannot write .* the folder .*no\/such does not exist$/);
        assert.match(err.hint ?? '', /Create the folder first, or give --out a folder/);
        return true;
      },
    );
    assert.throws(() => at('taken.txt/r.html'), /cannot write .*taken\.txt\/r\.html: .*taken\.txt is not a folder$/);
  });
});

describe('report files: writeReportFiles', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-write-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes the JSON and its HTML beside it, leaving no temporary file', () => {
    const report = newReport({ reportName: 'nightly' });
    const json = reportFileAt({ folder: path.join(dir, 'new') }, report.report_name);
    const written = writeReportFiles(json, report, { assets });
    assert.deepEqual(written, { json, html: path.join(dir, 'new', 'nightly.html') });
    assert.deepEqual(fs.readdirSync(path.join(dir, 'new')).sort(), ['nightly.html', 'nightly.pgperf.json']);
    assert.equal(readReport(json).report_name, 'nightly');
    assert.match(fs.readFileSync(written.html, 'utf8'), /document\.title = "viewer"/);
  });

  it('replaces an earlier pair in place (a checkpoint, then the final report)', () => {
    const json = path.join(dir, 'run.pgperf.json');
    writeReportFiles(json, newReport({ reportName: 'run', description: 'first' }), { assets });
    writeReportFiles(json, newReport({ reportName: 'run', description: 'final' }), { assets });
    assert.equal(readReport(json).description, 'final');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['run.html', 'run.pgperf.json']);
  });

  it('refuses a report file that does not end in .json, writing nothing', () => {
    const target = path.join(dir, 'report.html');
    assert.throws(
      () => writeReportFiles(target, newReport({ reportName: 'x' }), { assets }),
      /cannot write .*report\.html: a report file must end in \.json/,
    );
    assert.deepEqual(fs.readdirSync(dir), []);
  });
});
