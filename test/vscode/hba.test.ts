/**
 * Check pg_hba Rules inside a real extension host: lint findings appear as diagnostics when a
 * pg_hba.conf is opened, follow edits, and the command returns them.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { pgops, waitFor } from '../support/vscodeHost';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const fixtures = path.join(repoRoot, 'test', 'fixtures', 'hba');

describe('Check pg_hba Rules (diagnostics in a real VS Code)', () => {
  let dir: string;
  let file: vscode.Uri;

  before(async () => {
    await pgops();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-hba-vscode-'));
    for (const name of ['pg_hba.conf', 'users.list', 'admins.list', 'extra.conf'])
      fs.copyFileSync(path.join(fixtures, name), path.join(dir, name));
    fs.cpSync(path.join(fixtures, 'conf.d'), path.join(dir, 'conf.d'), { recursive: true });
    file = vscode.Uri.file(path.join(dir, 'pg_hba.conf'));
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const codesAt = (line: number): string[] =>
    vscode.languages
      .getDiagnostics(file)
      .filter((d) => d.range.start.line === line - 1)
      .map((d) => String(typeof d.code === 'object' ? d.code.value : d.code));

  it('shows lint findings as diagnostics when a pg_hba.conf is opened', async () => {
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
    await waitFor('diagnostics on pg_hba.conf', () =>
      vscode.languages.getDiagnostics(file).length > 0 ? true : undefined,
    );
    assert.deepEqual(codesAt(21), ['trust-over-tcp']);
    assert.deepEqual(codesAt(4), ['md5-deprecated']);
    const trust = vscode.languages.getDiagnostics(file).find((d) => d.code === 'trust-over-tcp');
    assert.equal(trust?.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(trust?.source, 'pgops');
  });

  it('follows edits: a line the server cannot read becomes an error on that line', async () => {
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
    await editor.edit((e) => e.insert(new vscode.Position(0, 0), 'hots all all all md5\n'));
    await waitFor('a parse error on line 1', () => (codesAt(1).includes('parse-error') ? true : undefined));
    assert.match(
      vscode.languages.getDiagnostics(file).find((d) => d.code === 'parse-error')?.message ?? '',
      /invalid connection type "hots"/,
    );
    assert.deepEqual(codesAt(22), ['trust-over-tcp'], 'the other findings moved down with their lines');
    await editor.edit((e) => e.delete(new vscode.Range(0, 0, 1, 0)));
    await editor.document.save();
    await waitFor('the findings back on their lines', () =>
      codesAt(21).includes('trust-over-tcp') && !codesAt(1).includes('parse-error') ? true : undefined,
    );
  });

  it('runs from the command on a file and returns the findings', async () => {
    const findings = await vscode.commands.executeCommand<Array<{ line: number; code: string }>>(
      'pgops.checkHbaRules',
      file,
    );
    assert.ok(Array.isArray(findings));
    assert.ok(findings.some((f) => f.line === 21 && f.code === 'trust-over-tcp'));
    assert.ok(
      !vscode.languages.getDiagnostics(file).some((d) => d.message.includes('s3cr3t')),
      'no secret in any diagnostic',
    );
  });
});
