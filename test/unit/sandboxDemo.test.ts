import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { demoPlan } from '../../src/core/demo/seed';
import { demoReportName, demoSchema, recordDemoFiles, removeDemoFiles } from '../../src/core/sandbox/demo';

describe('sandbox demo: the sample run and the files Reset removes', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-demo-unit-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("runs a short tpcb-like sweep whose tables go to the demo schema, without resetting the server's statistics", () => {
    const plan = demoPlan();
    assert.equal(plan.reportName, demoReportName);
    assert.deepEqual(plan.searchPath, [demoSchema]);
    assert.deepEqual(plan.builtin, [{ name: 'tpcb-like', weight: 1 }]);
    assert.equal(plan.init, 'once');
    assert.ok(plan.values.length * (plan.durationS ?? 0) <= 10, 'a few seconds of pgbench');
    assert.deepEqual(plan.reset, { checkpoint: false, statStatementsReset: false, statReset: false });
  });

  it('removes the recorded report files that are still the demo, and keeps a user file saved under a recorded name', () => {
    const root = path.join(tmp, 'sandbox');
    const reports = path.join(tmp, 'reports');
    fs.mkdirSync(root);
    fs.mkdirSync(reports);
    const json = path.join(reports, `${demoReportName}.pgperf.json`);
    const html = path.join(reports, `${demoReportName}.html`);
    const other = path.join(tmp, 'elsewhere', `${demoReportName}.pgperf.json`);
    fs.writeFileSync(json, JSON.stringify({ report_name: demoReportName }));
    fs.writeFileSync(html, `<script type="application/json">{"report_name":"${demoReportName}"}</script>`);
    recordDemoFiles(root, [json, html]);
    recordDemoFiles(root, [json, other]);
    fs.mkdirSync(path.dirname(other));
    fs.writeFileSync(other, JSON.stringify({ report_name: 'my own run' }));
    assert.deepEqual(removeDemoFiles(root).sort(), [html, json].sort());
    assert.equal(fs.existsSync(json), false);
    assert.equal(fs.existsSync(html), false);
    assert.equal(fs.readFileSync(other, 'utf8'), JSON.stringify({ report_name: 'my own run' }));
    assert.deepEqual(fs.readdirSync(root), [], 'the record goes too');
    assert.deepEqual(removeDemoFiles(root), [], 'nothing recorded: nothing removed');
  });
});
