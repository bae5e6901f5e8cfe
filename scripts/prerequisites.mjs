// The system packages `npm test` and `npm start` need, checked before they do anything else. As root on
// Debian/Ubuntu the missing ones are installed with apt-get; otherwise they stop at once with the exact command.
import { spawnSync } from 'node:child_process';

/** What code-server (the VS Code `npm start` opens where no `code` binary exists) builds its native modules with. */
export const codeServerPackages = {
  'build-essential': "C/C++ toolchain for code-server's native modules (built once, into the code-server cache)",
  'libkrb5-dev': 'headers those native modules build against',
  python3: 'node-gyp, which builds them',
};

/** Debian package → why the tests need it. */
export const testPackages = {
  ...codeServerPackages,
  'postgresql-15': 'the second server version of the matrix, with pgbench and psql',
  'postgresql-15-repack': 'pg_repack 1.4.8 (extension and program) for the fix tests on PostgreSQL 15',
  patroni: 'Patroni 3.0 for the HA tests: a three-node cluster of PostgreSQL 15 on loopback',
  'etcd-server': "etcd 3.4, the HA tests' Patroni store (run with its v2 API on, on ports of their own)",
  chromium: 'drives the real VS Code workbench (code-server) in the vscode tier',
  'openssh-server': 'a real sshd for the remote environment collector and its host-key checks',
  openssl: 'test certificates (TLS, client certificates, the HTTPS issuer)',
};

function installed(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && /install ok installed/.test(r.stdout);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return r.status === 0;
}

/** Returns true when every package is there (installing them first where we may); prints why not otherwise. */
export function ensurePackages(packages, log = console.log) {
  const names = Object.keys(packages);
  if (spawnSync('dpkg-query', ['--version']).status !== 0) {
    log('✘ This expects Debian or Ubuntu packages, and dpkg-query is not here. Install the equivalents of:');
    for (const [p, why] of Object.entries(packages)) log(`    ${p}: ${why}`);
    return false;
  }
  const missing = names.filter((p) => !installed(p));
  if (missing.length === 0) return true;
  const line = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    log(`✘ Missing system packages: ${missing.join(', ')}.`);
    for (const p of missing) log(`    ${p}: ${packages[p]}`);
    log(`  Install them, then run the command again:\n    sudo apt-get update && sudo ${line}`);
    return false;
  }
  log(`── installing missing system packages: ${missing.join(' ')}`);
  if (
    !run('apt-get', ['update', '-qq']) ||
    !run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing])
  ) {
    log(`✘ apt-get failed; run it by hand to see why:\n    apt-get update && ${line}`);
    return false;
  }
  // Debian starts a cluster of its own on 5432 when it installs (or, for postgresql-15-repack, upgrades) the
  // server; the tests run their own servers.
  if (missing.some((p) => p.startsWith('postgresql-15')))
    spawnSync('pg_ctlcluster', ['15', 'main', 'stop'], { stdio: 'ignore' });
  const still = names.filter((p) => !installed(p));
  if (still.length) log(`✘ Still missing after apt-get: ${still.join(', ')}`);
  return still.length === 0;
}
