import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { commandIds } from '../../src/extension/commandIds';

const root = path.resolve(__dirname, '..', '..', '..');
const rawPkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest;
const nls = JSON.parse(fs.readFileSync(path.join(root, 'package.nls.json'), 'utf8')) as Record<string, string>;
const missingNls: string[] = [];

/** The manifest as VS Code shows it: every `%key%` replaced by its text from package.nls.json. */
function localized(value: unknown): unknown {
  if (typeof value === 'string') {
    const key = /^%([^%]+)%$/.exec(value)?.[1];
    if (key === undefined) return value;
    if (nls[key] === undefined) missingNls.push(key);
    return nls[key] ?? value;
  }
  if (Array.isArray(value)) return value.map(localized);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, localized(v)]));
  return value;
}
const pkg = localized(rawPkg) as Manifest;

interface SettingSchema {
  restricted?: boolean;
  properties?: Record<string, SettingSchema>;
  items?: SettingSchema;
}

/** The parts of package.json these tests read; the tests themselves check that they are there. */
interface Manifest {
  activationEvents: string[];
  icon: string;
  repository: { url: string };
  categories: string[];
  capabilities: {
    untrustedWorkspaces?: { supported?: string; description?: string; restrictedConfigurations?: string[] };
    virtualWorkspaces?: boolean;
  };
  contributes: {
    commands: Array<{ command: string; title: string; category?: string }>;
    walkthroughs: Array<{ steps: unknown }>;
    viewsContainers: { activitybar: Array<{ title: string }> };
    views: { pgops: Array<{ id: string; name: string }> };
    viewsWelcome: Array<{ view: string; contents: string; when?: string }>;
    menus: Record<string, Array<{ command: string; when?: string }>>;
    configuration: {
      properties: Record<
        string,
        SettingSchema & { description?: string; markdownDescription?: string; scope?: string }
      >;
    };
  };
}

/** The keys of an object setting's properties and of its array items', at any depth. */
function nestedKeys(schema: SettingSchema): string[] {
  const own = Object.entries(schema.properties ?? {}).flatMap(([k, v]) => [k, ...nestedKeys(v)]);
  return schema.items ? [...own, ...nestedKeys(schema.items)] : own;
}

describe('package.json manifest', () => {
  it('contributes exactly the commands of the command table, each in the Postgres Ops category', () => {
    const contributed = pkg.contributes.commands.map((c: { command: string }) => c.command).sort();
    assert.deepEqual(contributed, [...commandIds].sort());
    for (const c of pkg.contributes.commands) assert.equal(c.category, 'Postgres Ops', `${c.command} category`);
  });

  it('keeps its user-facing strings in package.nls.json (l10n-ready), every %key% defined', () => {
    assert.deepEqual(missingNls, [], 'keys without text');
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'manifest-nls.mjs'), '--check'], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(rawPkg.contributes.commands[0].title, '%commands.addConnection.title%');
  });

  it('activates lazily: no "*" and no onStartupFinished', () => {
    assert.ok(!pkg.activationEvents.includes('*'));
    assert.ok(!pkg.activationEvents.includes('onStartupFinished'));
  });

  it('has the Postgres Ops activity-bar container with its views in order', () => {
    assert.equal(pkg.contributes.viewsContainers.activitybar[0].title, 'Postgres Ops');
    const names = pkg.contributes.views.pgops.map((v: { name: string }) => v.name);
    assert.deepEqual(names, [
      'Connections',
      'Activity',
      'Health',
      'Query Stats',
      'Replication',
      'Bloat',
      'HA Cluster',
      'Benchmark Reports',
    ]);
  });

  it('gives every view welcome text with buttons for Add Connection and Start Local Sandbox', () => {
    for (const view of pkg.contributes.views.pgops) {
      const welcome = pkg.contributes.viewsWelcome.find((w: { view: string }) => w.view === view.id);
      assert.ok(welcome, `welcome for ${view.id}`);
      assert.match(welcome.contents, /\[Add Connection\]\(command:pgops\.addConnection\)/);
      assert.match(welcome.contents, /\[Start Local Sandbox\]\(command:pgops\.startSandbox\)/);
    }
  });

  it('offers Start Local Sandbox in Benchmark Reports only while the sandbox is not running', () => {
    const welcomes = pkg.contributes.viewsWelcome.filter((w: { view: string }) => w.view === 'pgops.reports');
    const offering = welcomes.filter((w: { contents: string }) => /command:pgops\.startSandbox/.test(w.contents));
    assert.deepEqual(
      offering.map((w: { when?: string }) => w.when),
      ['!pgops.sandboxRunning'],
    );
    const running = welcomes.filter((w: { when?: string }) => w.when === 'pgops.sandboxRunning');
    assert.equal(running.length, 1, 'a welcome for the running sandbox');
    assert.match(running[0].contents, /\[Run pgbench Sweep\]\(command:pgops\.runBenchSweep\)/);
  });

  it('lets Connect and Disconnect run from the command palette (they ask for the connection)', () => {
    const hidden = pkg.contributes.menus.commandPalette
      .filter((e: { when?: string }) => e.when === 'false')
      .map((e: { command: string }) => e.command);
    assert.ok(!hidden.includes('pgops.connect') && !hidden.includes('pgops.disconnect'), hidden.join(', '));
  });

  it('walks a new user from the sandbox to a comparison, each step done by running its real command', () => {
    const [walk] = pkg.contributes.walkthroughs;
    const steps = walk.steps as Array<{ id: string; media: { markdown: string }; completionEvents: string[] }>;
    assert.deepEqual(
      steps.map((st) => st.id),
      ['startSandbox', 'queryStats', 'runSweep', 'openReport', 'compareReports'],
    );
    const ids = new Set<string>(commandIds);
    for (const st of steps) {
      assert.ok(fs.existsSync(path.join(root, st.media.markdown)), `${st.id}: ${st.media.markdown} exists`);
      for (const e of st.completionEvents.filter((x) => x.startsWith('onCommand:')))
        assert.ok(ids.has(e.slice('onCommand:'.length)), `${st.id}: ${e} is a contributed command`);
    }
  });

  it('has a 128×128 PNG icon, a repository, and no "Testing" category', () => {
    const png = fs.readFileSync(path.join(root, pkg.icon));
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 128]);
    assert.match(pkg.repository.url, /^https:\/\//);
    assert.ok(!pkg.categories.includes('Testing'), pkg.categories.join(', '));
  });

  it('only refers to contributed commands from menus', () => {
    const ids = new Set(commandIds);
    for (const [menu, entries] of Object.entries(pkg.contributes.menus as Record<string, Array<{ command: string }>>)) {
      for (const e of entries) assert.ok(ids.has(e.command as never), `${menu} refers to unknown ${e.command}`);
    }
  });

  it('describes every setting, and makes executable paths machine-overridable', () => {
    for (const [key, prop] of Object.entries(
      pkg.contributes.configuration.properties as Record<
        string,
        { description?: string; markdownDescription?: string; scope?: string }
      >,
    )) {
      assert.ok(prop.description || prop.markdownDescription, `${key} has a description`);
      if (/Path$|binDir$/.test(key)) assert.equal(prop.scope, 'machine-overridable', `${key} scope`);
    }
  });

  it('supports Restricted Mode in a limited way, and no virtual workspaces (pgops runs programs and reads local files)', () => {
    const trust = pkg.capabilities?.untrustedWorkspaces;
    assert.equal(trust?.supported, 'limited');
    assert.match(trust.description ?? '', /\S/);
    assert.equal(pkg.capabilities.virtualWorkspaces, false);
  });

  it('restricts every setting that names a program, a directory or a file, and lists exactly those as restricted', () => {
    const props = pkg.contributes.configuration.properties as Record<string, SettingSchema>;
    const restricted = Object.keys(props)
      .filter((k) => props[k].restricted === true)
      .sort();
    assert.deepEqual([...(pkg.capabilities?.untrustedWorkspaces?.restrictedConfigurations ?? [])].sort(), restricted);
    for (const [key, prop] of Object.entries(props)) {
      const risky = [key, ...nestedKeys(prop)].filter((k) => /(Path|Dir|Command|File)$/.test(k));
      if (risky.length) assert.equal(prop.restricted, true, `${key} (${risky.join(', ')}) must be restricted`);
    }
  });

  it('packages an allow-list: dist, media, README; no sources, tests or maps', () => {
    const ignore = fs
      .readFileSync(path.join(root, '.vscodeignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    assert.equal(ignore[0], '**', 'allow-list starts by excluding everything');
    for (const needed of [
      '!dist/**',
      '!media/**',
      '!package.json',
      '!package.nls.json',
      '!README.md',
      '!CHANGELOG.md',
      '!schemas/**',
      '!snippets/**',
    ])
      assert.ok(ignore.includes(needed), needed);
    assert.ok(ignore.includes('dist/**/*.map'), 'source maps excluded');
  });
});
