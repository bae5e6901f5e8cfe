/**
 * The in-host suite under @vscode/test-electron, for machines that can download VS Code (this one
 * cannot; `npm test` uses code-server instead). Same suite, same entry (index.ts run()).
 *
 *   npm run build && npx tsc -p tsconfig.test.json && node out/test/vscode/runElectron.js [GREP]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  const repoRoot = path.resolve(__dirname, '..', '..', '..');
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-electron-'));
  const userDataDir = path.join(scratch, 'user-data');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  // A free-ish port for the sandbox, so a developer's own sandbox on the default port is not touched.
  const sandboxPort = 20000 + (process.pid % 20000);
  fs.writeFileSync(
    path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({
      'workbench.startupEditor': 'none',
      'security.workspace.trust.enabled': false,
      'pgops.sandbox.port': sandboxPort,
    }),
  );
  try {
    await runTests({
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: path.join(__dirname, 'index.js'),
      extensionTestsEnv: { PGOPS_TEST_GREP: process.argv[2] ?? '', PGOPS_TEST_SANDBOX_PORT: String(sandboxPort) },
      launchArgs: [
        '--user-data-dir',
        userDataDir,
        '--extensions-dir',
        path.join(scratch, 'extensions'),
        '--disable-workspace-trust',
        scratch,
      ],
    });
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
