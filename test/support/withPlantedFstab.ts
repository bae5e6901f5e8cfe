/**
 * Runs a program with a planted file over /etc/fstab, seen by that program only. It is started
 * inside a private mount namespace (`unshare --mount --propagation private node withPlantedFstab.js
 * FSTAB PROGRAM ARGS…`), so the bind mount vanishes with the namespace and the machine's real
 * /etc/fstab is never touched. Exits with the program's exit code.
 */
import { execFileSync, spawnSync } from 'node:child_process';

const [fstab, program, ...args] = process.argv.slice(2);
if (!fstab || !program) {
  process.stderr.write('usage: unshare --mount --propagation private node withPlantedFstab.js FSTAB PROGRAM [ARGS…]\n');
  process.exit(2);
}
execFileSync('mount', ['--bind', fstab, '/etc/fstab']);
const r = spawnSync(program, args, { stdio: 'inherit' });
process.exit(r.status ?? 1);
