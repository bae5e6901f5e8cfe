import * as os from 'node:os';
import * as path from 'node:path';
import { embeddedBinaries } from '../../core/sandbox/binaries';
import { resetSandbox, sandboxStatus, startSandbox, stopSandbox } from '../../core/sandbox/sandbox';
import type { CliCommand } from '../command';
import { intFlag, parseFlags, UsageError } from '../command';
import { stderrLogger } from '../output';

export const defaultSandboxPort = 54329;

const options = {
  dir: { type: 'string' },
  port: { type: 'string' },
  json: { type: 'boolean' },
  force: { type: 'boolean' },
} as const;

export const sandboxCommand: CliCommand = {
  name: 'sandbox',
  summary: 'start, stop or inspect the local PostgreSQL 18 sandbox',
  usage:
    'pgops sandbox start|stop|status|reset [--dir DIR] [--port N] [--json]\n' +
    '  --dir DIR   storage folder (default ~/.pgops); the VS Code extension uses its global storage\n' +
    `  --port N    TCP port on 127.0.0.1 (default ${defaultSandboxPort})`,
  options,
  actions: ['start', 'stop', 'status', 'reset'],
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, options, true);
    const action = positionals[0];
    const opts = {
      storageDir: path.resolve(values.dir ?? path.join(os.homedir(), '.pgops')),
      binaries: embeddedBinaries(path.dirname(__dirname)),
      port: intFlag(values.port, 'port', defaultSandboxPort),
      logger: stderrLogger(io),
      holder: 'cli' as const,
    };
    const print = (obj: object, text: string): void => io.out(values.json ? JSON.stringify(obj) : text);
    switch (action) {
      case 'start': {
        const info = await startSandbox(opts);
        print(
          info,
          `${info.started ? 'started' : 'already running'}: postgresql://${info.user}@127.0.0.1:${info.port}/${info.database}  (socket ${info.host})\n` +
            `psql "host=${info.host} port=${info.port} user=${info.user} dbname=${info.database}"`,
        );
        return 0;
      }
      case 'stop': {
        const stopped = await stopSandbox(opts, true);
        print({ stopped }, stopped ? 'stopped' : 'not running');
        return 0;
      }
      case 'status': {
        const st = sandboxStatus(opts);
        print(
          st,
          st.running
            ? `running: pid ${st.pid}, port ${st.port}, data ${st.dataDir}`
            : `not running (data ${st.dataDir})`,
        );
        return 0;
      }
      case 'reset': {
        if (!values.force) throw new UsageError('reset deletes the sandbox data; repeat with --force to confirm');
        await resetSandbox(opts);
        print({ reset: true }, 'sandbox data deleted');
        return 0;
      }
      default:
        throw new UsageError(
          action ? `unknown sandbox action "${action}"` : 'missing action: start, stop, status or reset',
        );
    }
  },
};
