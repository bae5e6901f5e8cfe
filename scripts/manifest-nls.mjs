// Moves the user-facing strings of package.json into package.nls.json as %key% references (VS Code's
// l10n for manifests), so a translation is one more package.nls.<locale>.json. Run it after adding a
// command, view, setting or walkthrough step: `node scripts/manifest-nls.mjs` (idempotent); with
// `--check` it changes nothing and exits 1 when a user-facing string is still literal (the unit tier checks the same).
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const pkgFile = path.join(root, 'package.json');
const nlsFile = path.join(root, 'package.nls.json');
const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
const nls = fs.existsSync(nlsFile) ? JSON.parse(fs.readFileSync(nlsFile, 'utf8')) : {};
const check = process.argv.includes('--check');

/** Keys of objects whose string values users read; `name` only where it is a view's name. */
const textKeys = new Set(['displayName', 'description', 'markdownDescription', 'title', 'contextualTitle', 'contents']);
const literal = [];

/** A readable key for an array element: its command, id or view, else its index. */
function elementKey(value, index) {
  const id = value && typeof value === 'object' ? (value.command ?? value.id ?? value.view) : undefined;
  return typeof id === 'string' ? id.replace(/^pgops\./, '') : String(index);
}

function keyed(key, value) {
  if (/^%[^%]+%$/.test(value)) return value;
  literal.push(`${key}: ${value.slice(0, 60)}`);
  let k = key;
  for (let i = 2; nls[k] !== undefined && nls[k] !== value; i++) k = `${key}.${i}`;
  nls[k] = value;
  return `%${k}%`;
}

function walk(node, prefix, parentKey) {
  if (Array.isArray(node)) {
    node.forEach((v, i) => {
      const key = `${prefix}.${elementKey(v, i)}`;
      if (typeof v === 'string' && parentKey === 'enumDescriptions') node[i] = keyed(key, v);
      else walk(v, key, parentKey);
    });
    return;
  }
  if (!node || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node)) {
    const key = prefix ? `${prefix}.${k.replace(/^pgops\./, '')}` : k;
    if (k === 'category' && typeof v === 'string') node[k] = keyed('category', v);
    else if (typeof v === 'string' && (textKeys.has(k) || (k === 'name' && prefix.startsWith('views.'))))
      node[k] = keyed(key, v);
    else if (k !== 'menus' && k !== 'snippets' && k !== 'jsonValidation' && k !== 'selector') walk(v, key, k);
  }
}

pkg.displayName = keyed('displayName', pkg.displayName);
pkg.description = keyed('description', pkg.description);
walk(pkg.capabilities, 'capabilities', '');
walk(pkg.contributes, '', '');

if (check) {
  if (literal.length) {
    console.error(`package.json has user-facing strings outside package.nls.json:\n  ${literal.join('\n  ')}`);
    console.error('Run: node scripts/manifest-nls.mjs');
    process.exit(1);
  }
} else {
  fs.writeFileSync(pkgFile, `${JSON.stringify(pkg, null, 2)}\n`);
  fs.writeFileSync(nlsFile, `${JSON.stringify(nls, null, 2)}\n`);
  console.log(`${literal.length} strings moved to package.nls.json`);
}
