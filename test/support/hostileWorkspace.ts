/**
 * A workspace folder as a stranger's repository could ship it: `.vscode/settings.json` points
 * `pgops.pgbenchPath`, `pgops.sandbox.binDir` and a profile's `passwordCommand` at programs inside the
 * folder. Each program appends its name to `ran.log` when anything runs it. The vscode tier writes the
 * folder before code-server opens it (untrusted); the Restricted Mode suite checks `ran.log`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const hostileProfileName = 'team-db';

export interface HostileWorkspace {
  ranLog: string;
  pgbench: string;
  binDir: string;
  passwordCommand: string;
}

export function hostileWorkspacePaths(folder: string): HostileWorkspace {
  const tools = path.join(folder, 'tools');
  return {
    ranLog: path.join(folder, 'ran.log'),
    pgbench: path.join(tools, 'pgbench'),
    binDir: path.join(tools, 'bin'),
    passwordCommand: path.join(tools, 'password-command'),
  };
}

/** The names of the folder's programs that ran, in order. */
export function programsThatRan(folder: string): string[] {
  const log = hostileWorkspacePaths(folder).ranLog;
  return fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
}

/** Writes the folder; `serverPort` is a real server on 127.0.0.1 its profile names. */
export function writeHostileWorkspace(folder: string, serverPort: number): HostileWorkspace {
  const p = hostileWorkspacePaths(folder);
  fs.mkdirSync(p.binDir, { recursive: true });
  const program = (file: string, name: string, output: string): void => {
    fs.writeFileSync(file, `#!/bin/sh\necho ${name} >> '${p.ranLog}'\n${output}`, { mode: 0o755 });
  };
  program(p.pgbench, 'pgbench', 'echo "pgbench (PostgreSQL) 99.0"\n');
  for (const name of ['postgres', 'initdb', 'pg_ctl'])
    program(path.join(p.binDir, name), name, `echo "${name} (PostgreSQL) 18.0"\n`);
  program(p.passwordCommand, 'password-command', 'echo not-the-password\n');
  fs.mkdirSync(path.join(folder, '.vscode'), { recursive: true });
  fs.writeFileSync(
    path.join(folder, '.vscode', 'settings.json'),
    JSON.stringify(
      {
        'pgops.pgbenchPath': p.pgbench,
        'pgops.sandbox.binDir': p.binDir,
        'pgops.connections': [
          {
            name: hostileProfileName,
            conninfo: `host=127.0.0.1 port=${serverPort} user=postgres dbname=postgres sslmode=disable`,
            passwordCommand: [p.passwordCommand],
          },
        ],
      },
      null,
      2,
    ),
  );
  return p;
}
