// Fails when a source line is longer than the limit (160 characters): prettier wraps code at 120
// columns but leaves long strings, template literals and comments alone. Prints file:line for each.
// `node scripts/lineLength.mjs [LIMIT]`; fixtures (test/fixtures) are data, not source, and are skipped.
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const limit = Number(process.argv[2] ?? 160);
const folders = ['src', 'webview', 'test', 'scripts', 'bench'];
const skipped = new Set(['node_modules', path.join('test', 'fixtures')]);
const sourceFile = /\.(ts|mts|cts|js|mjs|cjs|css|html|sql)$/;

function* sourceFiles(dir) {
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (skipped.has(rel) || skipped.has(entry.name)) continue;
    if (entry.isDirectory()) yield* sourceFiles(rel);
    else if (entry.isFile() && sourceFile.test(entry.name)) yield rel;
  }
}

const long = [];
for (const folder of folders) {
  if (!fs.existsSync(path.join(root, folder))) continue;
  for (const file of sourceFiles(folder)) {
    const lines = fs.readFileSync(path.join(root, file), 'utf8').split('\n');
    lines.forEach((line, i) => {
      const length = [...line].length;
      if (length > limit) long.push(`${file}:${i + 1}: ${length} characters`);
    });
  }
}
for (const l of long) console.log(l);
if (long.length) {
  console.log(`${long.length} line(s) over ${limit} characters: name long constants, split long strings and comments`);
  process.exit(1);
}
console.log(`no line over ${limit} characters in ${folders.join(', ')}`);
