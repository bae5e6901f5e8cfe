import * as assert from 'node:assert/strict';
import { planFromFlags } from '../../src/cli/commands/bench';
import { pgbenchOptions } from '../../src/core/bench/commandLine';
import { validatePlan } from '../../src/core/bench/plan';
import { oauthClientConfig } from '../../src/core/conn/oauthSession';
import { resolveConnection } from '../../src/core/conn/resolve';
import { defaultSafety, safetyOptions, startupOptions } from '../../src/core/conn/session';
import { sslAttempts } from '../../src/core/conn/tls';
import { statementsObject } from '../../src/core/diag/statements';
import { pinnedSearchPath, searchPathOption } from '../../src/core/sql';

const pinned = '-c search_path="pg_catalog","pg_temp"';

describe('search_path pinning (CVE-2018-1058)', () => {
  it('pins pgops sessions to the catalog, with the temporary schema explicitly last', () => {
    assert.deepEqual(pinnedSearchPath, ['pg_catalog', 'pg_temp']);
    assert.equal(searchPathOption(pinnedSearchPath), pinned);
    for (const readOnly of [true, false]) {
      const options = safetyOptions({ ...defaultSafety, readOnly });
      assert.ok(options.endsWith(` ${pinned}`), options);
    }
  });

  it("puts the user's own options first, so the pinned search_path (set last) wins", () => {
    const user = '-c search_path=public,pg_catalog -c work_mem=8MB';
    const options = startupOptions(user, defaultSafety);
    assert.ok(options.startsWith(`${user} `) && options.endsWith(pinned), options);
    assert.equal(startupOptions(undefined, defaultSafety), safetyOptions(defaultSafety));
    assert.equal(startupOptions('', defaultSafety), safetyOptions(defaultSafety));
  });

  it("gives OAuth sessions the same pinned options after the conninfo's", () => {
    const ctx = {
      env: {},
      homeDir: '/nonexistent',
      osUser: 'u',
      defaultSocketDir: '/run/pg',
      sysconfDir: '/nonexistent',
    };
    const r = resolveConnection(
      "host=db options='-c search_path=public' oauth_issuer=https://idp oauth_client_id=c",
      ctx,
    );
    const config = oauthClientConfig(r, r.hosts[0], sslAttempts(r, r.hosts[0])[0]);
    assert.ok(
      String(config.options).startsWith('-c search_path=public ') && String(config.options).endsWith(pinned),
      String(config.options),
    );
  });

  it('quotes every schema and escapes what the server splits startup options on', () => {
    assert.equal(searchPathOption(['my schema', 'public']), '-c search_path="my\\ schema","public"');
    assert.equal(searchPathOption(['a\\b']), '-c search_path="a\\\\b"');
    assert.equal(searchPathOption(['we"ird\tx\ny']), '-c search_path="we""ird\\\tx\\\ny"');
    assert.throws(() => searchPathOption([]), /empty search_path/);
    assert.throws(() => searchPathOption(['a\0b']), /NUL/);
  });

  it('qualifies pg_stat_statements objects with the schema the extension is installed in', () => {
    assert.equal(
      statementsObject({ schema: 'public' }, 'pg_stat_statements_reset'),
      '"public"."pg_stat_statements_reset"',
    );
    assert.equal(statementsObject({ schema: 'ext "x".y' }, 'pg_stat_statements'), '"ext ""x"".y"."pg_stat_statements"');
  });
});

describe('pgbench search_path (plan field searchPath)', () => {
  it('defaults to public alone: no "$user", pg_catalog implicitly first', () => {
    const plan = validatePlan({ values: [1], durationS: 1 });
    assert.deepEqual(plan.searchPath, ['public']);
    assert.equal(pgbenchOptions(undefined, plan), '-c search_path="public"');
  });

  it("keeps the caller's PGOPTIONS and sets the path after them", () => {
    assert.equal(
      pgbenchOptions('  -c work_mem=64MB -c search_path=evil ', { searchPath: ['bench', 'public'] }),
      '-c work_mem=64MB -c search_path=evil -c search_path="bench","public"',
    );
  });

  it('refuses schemas that would make the path depend on the role, shadow the catalog or be cut', () => {
    const plan = (searchPath: unknown) =>
      validatePlan({ values: [1], durationS: 1, searchPath: searchPath as string[] });
    assert.throws(() => plan([]), /Run plan: searchPath must list at least one schema/);
    assert.throws(() => plan('public'), /Run plan: searchPath must be a list, got "public"/);
    assert.throws(() => plan(['public', '$user']), /searchPath\[1\] "\$user" is not allowed/);
    assert.throws(
      () => plan(['pg_catalog', 'public']),
      /searchPath\[0\] "pg_catalog" is not allowed: it is always searched first/,
    );
    assert.throws(() => plan(['pg_temp']), /searchPath\[0\] "pg_temp" is not allowed/);
    assert.throws(() => plan(['']), /searchPath\[0\] must be a schema name/);
    assert.throws(() => plan([7]), /searchPath\[0\] must be a schema name, got 7/);
    assert.throws(() => plan(['é'.repeat(32)]), /longer than 63 bytes/);
    assert.deepEqual(plan(['bench data', 'public']).searchPath, ['bench data', 'public']);
  });

  it('takes --search-path from the CLI', () => {
    const { plan } = planFromFlags({ clients: '1', time: '1', 'search-path': 'bench, public' }, '/tmp');
    assert.deepEqual(plan.searchPath, ['bench', 'public']);
  });
});
