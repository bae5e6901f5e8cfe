import * as path from 'node:path';
import type { SshTarget } from '../core/bench/hostShell';
import { parseSshDestination } from '../core/bench/hostShell';
import { openSshKnownHostsFiles, pgopsKnownHostsFile } from '../core/ssh/hostKeyPolicy';
import type { CliIo } from './command';
import { readableFile, UsageError } from './command';

/** The flags of commands that reach the database host over SSH (bench's system facts, fix's free space). */
export const sshFlags = {
  ssh: { type: 'string' },
  'ssh-key': { type: 'string' },
  'ssh-known-hosts': { type: 'string' },
} as const;

export const sshFlagsUsage =
  "  --ssh-known-hosts FILE pgops' own known_hosts (default $XDG_CONFIG_HOME or ~/.config, then pgops/known_hosts): a host\n" +
  '                         listed in no known_hosts is recorded there; ~/.ssh/known_hosts and /etc/ssh are only read\n';

/** The SSH target the flags name, checked up front; undefined without --ssh. */
export function sshTargetFromFlags(
  f: { ssh?: string; 'ssh-key'?: string; 'ssh-known-hosts'?: string },
  io: CliIo,
): SshTarget | undefined {
  if (f['ssh-key'] && !f.ssh) throw new UsageError('--ssh-key needs --ssh');
  if (f['ssh-known-hosts'] && !f.ssh) throw new UsageError('--ssh-known-hosts needs --ssh');
  if (!f.ssh) return undefined;
  return {
    ...parseSshDestination(f.ssh),
    keyFile: f['ssh-key'] ? readableFile(path.resolve(io.cwd, f['ssh-key']), '--ssh-key') : undefined,
    knownHostsFile: f['ssh-known-hosts'] ? path.resolve(io.cwd, f['ssh-known-hosts']) : pgopsKnownHostsFile(io.env),
    userKnownHostsFiles: openSshKnownHostsFiles(io.env),
  };
}
