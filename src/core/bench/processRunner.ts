import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CancelledError } from '../errors';
import type { CommandLine } from './commandLine';

export interface ProcessResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  signal?: AbortSignal;
  /** called for every complete stderr line as it arrives (pgbench writes progress there) */
  onStderrLine?: (line: string) => void;
  /** called once the process runs, with its pid */
  onSpawn?: (pid: number) => void;
  /** how long after SIGINT the process gets SIGKILL (default 3 s; pg_repack needs longer to clean up) */
  killAfterMs?: number;
}

/**
 * Runs one program without a shell. On abort it sends SIGINT (pgbench stops its clients, pg_repack
 * cleans up), then SIGKILL after killAfterMs, and rejects with CancelledError once the process is gone.
 */
export function runProcess(cmd: CommandLine, opts: RunOptions): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new CancelledError());
      return;
    }
    const started = Date.now();
    const child = spawn(cmd.program, cmd.args, { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let partial = '';
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      child.kill('SIGINT');
      killTimer = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs ?? 3000);
    };
    if (child.pid !== undefined) opts.onSpawn?.(child.pid);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (!opts.onStderrLine) return;
      const lines = (partial + d).split(/\r?\n/);
      partial = lines.pop() ?? '';
      for (const l of lines) opts.onStderrLine(l);
    });
    child.on('error', (err) => {
      opts.signal?.removeEventListener('abort', onAbort);
      reject(err);
    });
    child.on('close', (exitCode, signal) => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      if (partial && opts.onStderrLine) opts.onStderrLine(partial);
      if (opts.signal?.aborted) reject(new CancelledError());
      else resolve({ exitCode, signal, stdout, stderr, durationMs: Date.now() - started });
    });
  });
}

function pgpassField(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
}

/**
 * A private pgpass file (mode 0600 in a 0700 temp folder) for the length of `fn`, handed to
 * libpq programs through PGPASSFILE, so the password is never on a command line. Removed afterwards.
 */
export async function withPgpass<T>(
  login: { port: number; user: string; password?: string },
  fn: (env: NodeJS.ProcessEnv) => Promise<T>,
  baseEnv: NodeJS.ProcessEnv = process.env,
): Promise<T> {
  const env: NodeJS.ProcessEnv = { ...baseEnv };
  delete env.PGPASSWORD;
  if (login.password === undefined) return fn(env);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-pgpass-'));
  try {
    fs.chmodSync(dir, 0o700);
    const file = path.join(dir, 'pgpass');
    fs.writeFileSync(file, `*:${login.port}:*:${pgpassField(login.user)}:${pgpassField(login.password)}\n`, {
      mode: 0o600,
    });
    env.PGPASSFILE = file;
    return await fn(env);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
