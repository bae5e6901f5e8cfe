import { execFile } from 'node:child_process';
import { PgOpsError } from '../errors';
import type { CredentialSource } from './connect';

/**
 * A password or token printed by a program the user configures (a vault CLI, a cloud IAM token
 * helper), like pgAdmin's password exec command. Run with an argument array, never a shell.
 * The output is the first line of stdout, or JSON with `password`/`token`/`access_token` and
 * optionally `expires_in` (seconds) or `expires_at` (ISO time).
 */
export interface CredentialCommandSpec {
  argv: string[];
  /** Re-run after this many seconds even when the output said nothing about expiry. */
  ttlSeconds?: number;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface CommandOutput {
  secret: string;
  expiresAt?: number;
}

export function parseCommandOutput(stdout: string, now: number): CommandOutput | undefined {
  const text = stdout.trim();
  if (text.startsWith('{')) {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return undefined;
    }
    const secret = [o.password, o.token, o.access_token].find((v) => typeof v === 'string' && v !== '') as
      string | undefined;
    if (!secret) return undefined;
    const expiresAt =
      typeof o.expires_in === 'number'
        ? now + o.expires_in * 1000
        : typeof o.expires_at === 'string' && !Number.isNaN(Date.parse(o.expires_at))
          ? Date.parse(o.expires_at)
          : undefined;
    return { secret, expiresAt };
  }
  const first = stdout.split(/\r?\n/)[0];
  return first ? { secret: first } : undefined;
}

export class CommandCredential implements CredentialSource {
  readonly label = 'password command';
  private cached: CommandOutput | undefined;
  runs = 0;

  constructor(
    private readonly spec: CredentialCommandSpec,
    private readonly now: () => number = Date.now,
  ) {
    if (spec.argv.length === 0 || spec.argv[0] === '')
      throw new PgOpsError(
        'credential-command',
        'The password command is empty',
        'Give the program and its arguments as a list, e.g. ["vault", "read", "-field=password", "secret/db"].',
      );
  }

  async get(): Promise<string> {
    const margin = 30_000;
    if (this.cached && (this.cached.expiresAt === undefined || this.cached.expiresAt - margin > this.now()))
      return this.cached.secret;
    const out = await this.run();
    if (out.expiresAt === undefined && this.spec.ttlSeconds) out.expiresAt = this.now() + this.spec.ttlSeconds * 1000;
    this.cached = out;
    return out.secret;
  }

  invalidate(): void {
    this.cached = undefined;
  }

  private run(): Promise<CommandOutput> {
    const [program, ...args] = this.spec.argv;
    this.runs++;
    return new Promise((resolve, reject) => {
      execFile(
        program,
        args,
        {
          timeout: this.spec.timeoutMs ?? 30_000,
          maxBuffer: 1 << 20,
          env: this.spec.env ?? process.env,
          windowsHide: true,
        },
        (err, stdout, stderr) => {
          if (err) {
            // stderr of a failed command is its complaint, not a credential; keep only its last line, short.
            const why =
              String(stderr).trim().split('\n').pop()?.slice(0, 160) ||
              (err as NodeJS.ErrnoException).code ||
              err.message;
            const code =
              typeof (err as { code?: unknown }).code === 'number' ? ` (exit ${(err as { code: number }).code})` : '';
            reject(
              new PgOpsError(
                'credential-command',
                `The password command "${program}" failed${code}: ${why}`,
                'Run the command in a terminal to see what it needs (login, network, permissions).',
                { cause: err },
              ),
            );
            return;
          }
          const out = parseCommandOutput(String(stdout), this.now());
          if (!out) {
            reject(
              new PgOpsError(
                'credential-command',
                `The password command "${program}" printed no password`,
                'It must print the password on its first line, or JSON with "password", "token" or "access_token".',
              ),
            );
            return;
          }
          resolve(out);
        },
      );
    });
  }
}
