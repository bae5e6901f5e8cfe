/**
 * Runs the real `pgops` CLI as its own Node process (the compiled out/src/cli/main.js), for what
 * only a process shows: its exit code, stderr as a person sees it, signals, and environment read at
 * startup (NODE_EXTRA_CA_CERTS, SSL_CERT_FILE).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { repoRoot } from '../support/servers';

export const cliMain = path.join(repoRoot, 'out', 'src', 'cli', 'main.js');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

export interface CliProcessOptions {
  /** The child's whole environment, on top of PATH and a HOME with no pgpass or service file. */
  env: NodeJS.ProcessEnv;
  /** Called with all of stderr so far, each time more arrives. */
  onStderr?: (errSoFar: string, child: ChildProcess) => void;
  timeoutMs?: number;
  /** Another build of the CLI to run (a bundle placed elsewhere); default the compiled sources. */
  cli?: string;
  /** The child's working folder; default this process's. */
  cwd?: string;
  /** A program and its arguments that run the CLI's node command line (e.g. `unshare --mount …`). */
  wrapper?: string[];
}

/** The environment a child gets: no PG* variable of the test process leaks into it. */
export function cliEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: home, ...extra };
}

export function runCliProcess(args: string[], opts: CliProcessOptions): Promise<CliRun> {
  const cli = opts.cli ?? cliMain;
  if (!fs.existsSync(cli))
    throw new Error(`${cli} is missing: compile first (node scripts/test.mjs compiles with tsc -p tsconfig.test.json)`);
  return new Promise((resolve, reject) => {
    const [program, ...programArgs] = [...(opts.wrapper ?? []), process.execPath, cli, ...args];
    const child = spawn(program, programArgs, { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `pgops ${args.slice(0, 2).join(' ')} did not finish within ${opts.timeoutMs ?? 60_000} ms; stderr so far: ${err}`,
        ),
      );
    }, opts.timeoutMs ?? 60_000);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString('utf8');
      opts.onStderr?.(err, child);
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, err });
    });
  });
}

/** What the CLI run in this process (its main, not a child) gave: exit code, stdout and stderr. */
export interface InProcessRun {
  code: number;
  out: string;
  err: string;
}

/** Runs `pgops ARGS` in this process, with the test's environment minus PGPASSWORD, plus `env`. */
export async function runCliInProcess(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<InProcessRun> {
  let out = '';
  let err = '';
  const code = await main(args, {
    out: (s) => (out += `${s}\n`),
    err: (s) => (err += `${s}\n`),
    env: { ...process.env, PGPASSWORD: undefined, ...env },
    cwd,
  });
  return { code, out, err };
}
