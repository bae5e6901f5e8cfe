import * as assert from 'node:assert/strict';
import {
  countMarkers,
  isSecretName,
  marker,
  redactConninfo,
  redactingLogger,
  redactMountOptions,
  redactSetting,
  redactText,
} from '../../src/core/redact';
import type { RedactionRule } from '../../src/core/redact';

const m = (rule: RedactionRule) => marker(rule);
const S = 'S3cr3t-V4lue';

/** Redacts, checks the secret is gone and that a second pass changes nothing, returns the result. */
function clean(f: (t: string) => string, text: string, secret = S): string {
  const out = f(text);
  assert.ok(!out.includes(secret), `secret left in: ${out}`);
  assert.equal(f(out), out, 'redacting twice changes nothing');
  return out;
}

describe('redaction rules (pgops-redact/1)', () => {
  describe('the marker', () => {
    it('says what was hidden, the rule and the rule set version, and is counted by rule', () => {
      assert.equal(m('role-password'), '[redacted: password (pgops-redact/1 rule role-password)]');
      assert.deepEqual(countMarkers(`a ${m('role-password')} b ${m('setting-command')} ${m('role-password')}`), {
        'role-password': 2,
        'setting-command': 1,
      });
    });
  });

  describe('secret names', () => {
    it('takes password, secret, token, key, passphrase, credentials words and compounds; not paths, algorithms or switches', () => {
      const secret = [
        'password',
        'myext.api_token',
        'pg_tde.principal_key',
        'vault.secret',
        'sslpassword',
        'oauth_client_secret',
        'ldapbindpasswd',
        'anon.salt',
        'myext.apiKey',
        'credentials',
        'cred',
        'pass',
        'ssl_passphrase_command',
      ];
      const notSecret = [
        'shared_preload_libraries',
        'ssl_key_file',
        'krb_server_keyfile',
        'password_encryption',
        'md5_password_warnings',
        'ssl_passphrase_command_supports_reload',
        'passwordcheck.min_password_length',
        'passfile',
        'sslkey',
        'user',
        'username',
        'uid',
        'primary_conninfo',
        'work_mem',
        'monkey',
        'search_path',
      ];
      for (const n of secret) assert.ok(isSecretName(n), n);
      for (const n of notSecret) assert.ok(!isSecretName(n), n);
    });
  });

  describe('statement texts', () => {
    it('hides the password of CREATE/ALTER ROLE|USER in every literal form and keeps the role name', () => {
      for (const lit of [
        `'${S}'`,
        `'it''s ${S}'`,
        `E'${S}\\'x'`,
        `$$${S}$$`,
        `$pw$${S}$pw$`,
        `U&'${S}'`,
        `'${S}'\n'more'`,
      ]) {
        for (const head of [
          'ALTER ROLE app PASSWORD',
          'CREATE USER "App" WITH LOGIN ENCRYPTED PASSWORD',
          'alter group g password',
          'CREATE ROLE r PASSWORD',
        ]) {
          const out = clean(redactText, `${head} ${lit} VALID UNTIL 'infinity'`);
          assert.equal(out, `${head} ${m('role-password')} VALID UNTIL 'infinity'`);
        }
      }
      assert.equal(redactText('ALTER ROLE app PASSWORD NULL'), 'ALTER ROLE app PASSWORD NULL');
      assert.equal(redactText('ALTER ROLE app PASSWORD $1'), 'ALTER ROLE app PASSWORD $1');
    });

    it('hides secret-named OPTIONS of user mappings and servers, keeping the other options', () => {
      assert.equal(
        clean(redactText, `CREATE USER MAPPING FOR bob SERVER s OPTIONS (user 'bob', password '${S}')`),
        `CREATE USER MAPPING FOR bob SERVER s OPTIONS (user 'bob', password ${m('secret-option')})`,
      );
      assert.equal(
        clean(
          redactText,
          `ALTER USER MAPPING FOR bob SERVER s OPTIONS (SET "password" '${S}', ADD sslpassword '${S}')`,
        ),
        `ALTER USER MAPPING FOR bob SERVER s OPTIONS (SET "password" ${m('secret-option')}, ADD sslpassword ${m('secret-option')})`,
      );
      assert.equal(
        redactText(
          "CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw OPTIONS (password_required 'false', sslkey '/k.pem')",
        ),
        "CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw OPTIONS (password_required 'false', sslkey '/k.pem')",
      );
    });

    it('hides connection passwords inside literals: ALTER SYSTEM SET primary_conninfo, CREATE SUBSCRIPTION, dblink', () => {
      assert.equal(
        clean(
          redactText,
          `ALTER SYSTEM SET primary_conninfo = 'host=db1 user=rep password=a\\ ${S} application_name=x'`,
        ),
        `ALTER SYSTEM SET primary_conninfo = 'host=db1 user=rep password=${m('conninfo-password')} application_name=x'`,
      );
      assert.equal(
        clean(redactText, `ALTER SYSTEM SET primary_conninfo = 'postgresql://:${S}@db1:5432/app'`),
        `ALTER SYSTEM SET primary_conninfo = 'postgresql://:${m('conninfo-password')}@db1:5432/app'`,
      );
      assert.equal(
        clean(redactText, `CREATE SUBSCRIPTION sub CONNECTION 'host=p dbname=app password=''${S}''' PUBLICATION pub`),
        `CREATE SUBSCRIPTION sub CONNECTION 'host=p dbname=app password=${m('conninfo-password')}' PUBLICATION pub`,
      );
      assert.equal(
        clean(redactText, `SELECT dblink_connect('c', E'host=h password=\\'${S}\\'')`),
        `SELECT dblink_connect('c', 'host=h password=${m('conninfo-password')}')`,
      );
      assert.equal(
        clean(redactText, `SELECT * FROM dblink('postgres://u:${S}@h/db?sslmode=require', 'SELECT 1') AS t(x int)`),
        `SELECT * FROM dblink('postgres://u:${m('conninfo-password')}@h/db?sslmode=require', 'SELECT 1') AS t(x int)`,
      );
    });

    it('hides SET / ALTER SYSTEM SET / ALTER … SET / set_config of *_command and secret-named settings, whole', () => {
      assert.equal(
        clean(redactText, `ALTER SYSTEM SET archive_command = 'aws s3 cp %p s3://b --secret ${S}'`),
        `ALTER SYSTEM SET archive_command = ${m('setting-command')}`,
      );
      assert.equal(
        clean(redactText, `alter system set ssl_passphrase_command to 'echo ${S}'`),
        `alter system set ssl_passphrase_command to ${m('setting-command')}`,
      );
      assert.equal(
        clean(redactText, `SET LOCAL myext.api_token = ${S}`),
        `SET LOCAL myext.api_token = ${m('setting-secret')}`,
      );
      assert.equal(
        clean(redactText, `ALTER ROLE r IN DATABASE d SET "myext".api_token TO '${S}', 'x'`),
        `ALTER ROLE r IN DATABASE d SET "myext".api_token TO ${m('setting-secret')}`,
      );
      assert.equal(
        clean(redactText, `SELECT set_config('vault.secret', '${S}', false)`),
        `SELECT set_config('vault.secret', ${m('setting-secret')}, false)`,
      );
      assert.equal(
        clean(
          redactText,
          `CREATE FUNCTION f() RETURNS int SET myext.api_token = '${S}' AS $$ SELECT 1 $$ LANGUAGE sql`,
        ),
        `CREATE FUNCTION f() RETURNS int SET myext.api_token = ${m('setting-secret')} AS $$ SELECT 1 $$ LANGUAGE sql`,
      );
      assert.equal(
        clean(redactText, `UPDATE t SET note = 'x', api_key = '${S}' WHERE id = 1`),
        `UPDATE t SET note = 'x', api_key = ${m('setting-secret')} WHERE id = 1`,
      );
      assert.equal(redactText("SET search_path = public, '$user'"), "SET search_path = public, '$user'");
      assert.equal(redactText('SET myext.api_token TO DEFAULT'), 'SET myext.api_token TO DEFAULT');
      assert.equal(redactText("SELECT v FROM kv WHERE key = 'theme'"), "SELECT v FROM kv WHERE key = 'theme'");
    });

    it('keeps normalized texts and ordinary statements as they are', () => {
      for (const q of [
        'SELECT abalance FROM pgbench_accounts WHERE aid = $1',
        "UPDATE t SET v = 'x' WHERE k = $1",
        "SELECT 'it''s' -- the password rotation\n",
        'ALTER SYSTEM SET primary_conninfo = $1',
        "COMMENT ON ROLE r IS 'password rotation due'",
      ])
        assert.equal(redactText(q), q);
    });

    it('hides the tail of a statement cut short (pg_stat_activity keeps the first track_activity_query_size bytes)', () => {
      assert.equal(clean(redactText, `ALTER ROLE app PASSWORD '${S}`), `ALTER ROLE app PASSWORD ${m('role-password')}`);
      assert.equal(
        clean(redactText, `ALTER USER MAPPING FOR bob SERVER s OPTIONS (password $$${S}`),
        `ALTER USER MAPPING FOR bob SERVER s OPTIONS (password ${m('secret-option')}`,
      );
    });

    it('reaches statements nested in literals: DO blocks, function bodies, dblink_exec', () => {
      assert.equal(
        clean(redactText, `DO $$BEGIN EXECUTE 'ALTER ROLE app PASSWORD ''${S}'''; END$$`),
        `DO $$BEGIN EXECUTE 'ALTER ROLE app PASSWORD ${m('role-password')}'; END$$`,
      );
      assert.equal(
        clean(redactText, `SELECT dblink_exec('c', 'CREATE USER MAPPING FOR u SERVER s OPTIONS (password ''${S}'')')`),
        `SELECT dblink_exec('c', 'CREATE USER MAPPING FOR u SERVER s OPTIONS (password ${m('secret-option')})')`,
      );
      assert.equal(
        clean(
          redactText,
          `CREATE FUNCTION f() RETURNS void AS $f$ SELECT set_config('myext.api_token', '${S}', false) $f$ LANGUAGE sql`,
        ),
        `CREATE FUNCTION f() RETURNS void AS $f$ SELECT set_config('myext.api_token', ${m('setting-secret')}, false) $f$ LANGUAGE sql`,
      );
    });

    it('reaches statements commented out', () => {
      assert.equal(
        clean(redactText, `SELECT 1; -- ALTER ROLE app PASSWORD '${S}'\nSELECT 2 /* SET myext.api_token = '${S}' */`),
        `SELECT 1; -- ALTER ROLE app PASSWORD ${m('role-password')}\nSELECT 2 /* SET myext.api_token = ${m('setting-secret')} */`,
      );
      assert.equal(
        clean(redactText, `SELECT 1 /* OPTIONS (password '${S}'`),
        `SELECT 1 /* OPTIONS (password ${m('secret-option')}`,
      );
    });

    it('handles several statements of a script one by one', () => {
      const script = `CREATE USER MAPPING FOR u SERVER s OPTIONS (password '${S}');\nALTER ROLE u PASSWORD '${S}';\nSELECT 1;`;
      assert.equal(
        clean(redactText, script),
        `CREATE USER MAPPING FOR u SERVER s OPTIONS (password ${m('secret-option')});\nALTER ROLE u PASSWORD ${m('role-password')};\nSELECT 1;`,
      );
    });
  });

  describe('connection strings', () => {
    it('hides URI passwords: empty user, percent-encoded, multi-host, raw "/" or "@", ?password=', () => {
      const cases: Array<[string, string]> = [
        [`postgresql://:${S}@db1:5432/app`, `postgresql://:${m('conninfo-password')}@db1:5432/app`],
        [`postgres://rep:${S}%40x@db1,db2:5433/app`, `postgres://rep:${m('conninfo-password')}@db1,db2:5433/app`],
        [`postgresql://rep:${S}/x@x@db1/app`, `postgresql://rep:${m('conninfo-password')}@db1/app`],
        [
          `postgresql://db1/app?user=rep&password=${S}&sslmode=require`,
          `postgresql://db1/app?user=rep&password=${m('conninfo-password')}&sslmode=require`,
        ],
        [`postgresql://db1/app?sslpassword=${S}`, `postgresql://db1/app?sslpassword=${m('conninfo-password')}`],
      ];
      for (const [input, want] of cases) assert.equal(clean(redactConninfo, input), want);
      assert.equal(redactConninfo('postgresql://rep@db1:5432/app'), 'postgresql://rep@db1:5432/app');
    });

    it('hides keyword/value passwords: quoted, backslash-escaped spaces, PGPASSWORD, and keeps the rest', () => {
      assert.equal(
        clean(redactConninfo, `host=db1 password=a\\ ${S} port=5432`),
        `host=db1 password=${m('conninfo-password')} port=5432`,
      );
      assert.equal(
        clean(redactConninfo, `host=db1 password = 'a \\' ${S}' user=rep`),
        `host=db1 password = ${m('conninfo-password')} user=rep`,
      );
      assert.equal(
        clean(redactConninfo, `PGPASSWORD=${S} pg_basebackup -h db1`),
        `PGPASSWORD=${m('conninfo-password')} pg_basebackup -h db1`,
      );
      assert.equal(redactConninfo('host=db1 passfile=/home/u/.pgpass'), 'host=db1 passfile=/home/u/.pgpass');
    });

    it("leaves a password pgops already masked (maskUri's ********) as it is: it holds no secret", () => {
      for (const t of [
        'Malformed connection URI "postgresql://u:********@h/d%zz"',
        "host=h password='********' user=u",
        'password=******** x',
      ]) {
        assert.equal(redactConninfo(t), t);
      }
    });
  });

  describe('settings by name', () => {
    it('hides every *_command whole, secret-named settings whole, and conninfo passwords only', () => {
      assert.equal(redactSetting('archive_command', `cp %p /arch/${S}`), m('setting-command'));
      assert.equal(redactSetting('restore_command', `cp /arch/%f %p # ${S}`), m('setting-command'));
      assert.equal(redactSetting('ssl_passphrase_command', `echo ${S}`), m('setting-command'));
      assert.equal(redactSetting('myext.on_failure_command', `curl -H 'Token: ${S}'`), m('setting-command'));
      assert.equal(redactSetting('myext.api_token', S), m('setting-secret'));
      assert.equal(
        redactSetting('primary_conninfo', `user=rep password=${S} host=db1`),
        `user=rep password=${m('conninfo-password')} host=db1`,
      );
      assert.equal(
        redactSetting('primary_conninfo', `postgresql://:${S} x@db1`),
        `postgresql://:${m('conninfo-password')}@db1`,
      );
      assert.equal(
        redactSetting('myext.upstream_dsn', `postgresql://u:${S}@h/db`),
        `postgresql://u:${m('conninfo-password')}@h/db`,
      );
    });

    it('leaves what hides nothing: empty commands, switches, paths, (disabled), other settings', () => {
      const kept = [
        ['archive_command', ''],
        ['archive_command', '(disabled)'],
        ['ssl_passphrase_command_supports_reload', 'off'],
        ['ssl_key_file', 'server.key'],
        ['password_encryption', 'scram-sha-256'],
        ['shared_preload_libraries', 'pg_stat_statements'],
        ['myext.token_required', 'on'],
        ['primary_conninfo', 'host=db1 user=rep'],
      ];
      for (const [n, v] of kept) {
        assert.equal(redactSetting(n, v), v, n);
      }
    });
  });

  describe('mount options', () => {
    it('hides password=, credentials=, pass= and the like in fstab and mount lines; keeps user names', () => {
      const fstab = (pw: string, cred: string) =>
        [
          '# <fs> <mount> <type> <options>',
          `//nas/share /mnt/nas cifs username=bob,password=${pw},uid=1000 0 0`,
          `//nas/o /mnt/o cifs credentials=${cred},vers=3.0 0 0`,
          'UUID=ab / ext4 defaults 0 1',
          '',
        ].join('\n');
      assert.equal(clean(redactMountOptions, fstab(S, `/root/.${S}`)), fstab(m('mount-secret'), m('mount-secret')));
      assert.equal(
        clean(redactMountOptions, `//nas/share on /mnt/nas type cifs (rw,relatime,username=bob,pass=${S})`),
        `//nas/share on /mnt/nas type cifs (rw,relatime,username=bob,pass=${m('mount-secret')})`,
      );
      assert.equal(
        redactMountOptions('s3fs#b /mnt fuse passwd_file=/etc/passwd-s3fs 0 0'),
        's3fs#b /mnt fuse passwd_file=/etc/passwd-s3fs 0 0',
      );
    });
  });

  describe('loggers', () => {
    it('redacts every level before the target sees it', () => {
      const seen: string[] = [];
      const keep = (x: string) => {
        seen.push(x);
      };
      const log = redactingLogger({ trace: keep, debug: keep, info: keep, warn: keep, error: keep });
      log.trace(`ALTER ROLE r PASSWORD '${S}'`);
      log.debug(`connect host=h password=${S}`);
      log.info(`postgresql://u:${S}@h`);
      log.warn(`SET myext.api_token = '${S}'`);
      log.error(`CREATE USER MAPPING FOR r SERVER s OPTIONS (password '${S}')`);
      assert.equal(seen.length, 5);
      for (const line of seen) assert.ok(!line.includes(S) && line.includes('(pgops-redact/1 rule '), line);
    });
  });
});
