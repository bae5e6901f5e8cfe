import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

const root = path.resolve(__dirname, '..', '..', '..');

/** Lints `code` as if it were a webview source file, with the project's own eslint.config.mjs. */
async function lintWebview(code: string, file = 'webview/probe/main.ts'): Promise<string[]> {
  // Type-aware rules need the file on disk in a tsconfig; the import rule does not, so they are off here.
  const eslint = new ESLint({ cwd: root, overrideConfig: tseslint.configs.disableTypeChecked });
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result.messages.map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

describe('lint: webviews import only src/protocol and core types', function () {
  this.timeout(60_000);

  it('reports a webview importing host code from src/extension', async () => {
    const messages = await lintWebview(
      "import { LiveRunPanel } from '../../src/extension/panels/liveRunPanel';\nexport const p = LiveRunPanel;\n",
    );
    assert.equal(messages.length, 1, messages.join('\n'));
    assert.match(messages[0], /^@typescript-eslint\/no-restricted-imports: .*src\/extension\/panels\/liveRunPanel/);
  });

  it('accepts a webview importing the protocol and a type of core', async () => {
    const messages = await lintWebview(
      [
        "import type { Report } from '../../src/core/report/model';",
        "import type { HostToLiveRun } from '../../src/protocol/liveRun';",
        "import { isHostToLiveRun } from '../../src/protocol/liveRun';",
        'export const check = (m: unknown): m is HostToLiveRun => isHostToLiveRun(m);',
        'export type R = Report;',
        '',
      ].join('\n'),
    );
    assert.deepEqual(messages, []);
  });

  it('reports code (not types) of core, node modules and the database driver in a webview', async () => {
    const messages = await lintWebview(
      [
        "import { summarizeReport } from '../../src/core/report/summary';",
        "import * as fs from 'fs';",
        "import * as path from 'node:path';",
        "import { Client } from 'pg';",
        "import { main } from '../../src/cli/main';",
        'export const all = [summarizeReport, fs, path, Client, main];',
        '',
      ].join('\n'),
    );
    const restricted = messages.filter((m) => m.startsWith('@typescript-eslint/no-restricted-imports:'));
    assert.equal(restricted.length, 5, messages.join('\n'));
    for (const name of ['src/core/report/summary', "'fs'", 'node:path', "'pg'", 'src/cli/main'])
      assert.ok(
        restricted.some((m) => m.includes(name)),
        `${name} not reported:\n${messages.join('\n')}`,
      );
  });

  it('holds src/protocol to the same rule, since webviews bundle it', async () => {
    const messages = await lintWebview(
      "import * as vscode from 'vscode';\nexport const v = vscode;\n",
      'src/protocol/probe.ts',
    );
    assert.equal(messages.length, 1, messages.join('\n'));
    assert.match(messages[0], /'vscode' import is restricted/);
  });
});
