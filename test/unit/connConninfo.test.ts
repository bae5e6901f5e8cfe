import * as assert from 'node:assert/strict';
import {
  formatKeywordValue,
  maskUri,
  parseConnString,
  parseKeywordValue,
  parseUri,
} from '../../src/core/conn/conninfo';
import { PgOpsError } from '../../src/core/errors';

const conninfoError = (pattern: RegExp) => (e: unknown) =>
  PgOpsError.is(e, 'conninfo') && pattern.test(e.message) && !!e.hint;

describe('conn: keyword/value connection strings', () => {
  it('reads pairs separated by any whitespace, with spaces around "="', () => {
    assert.deepEqual(parseKeywordValue('  host=db1   port = 5433\tdbname =app user= bob '), {
      host: 'db1',
      port: '5433',
      dbname: 'app',
      user: 'bob',
    });
  });

  it("reads single-quoted values with \\' and \\\\ escapes, and empty values", () => {
    assert.deepEqual(parseKeywordValue("dbname='my db' password='it\\'s \\\\ ok' options=''"), {
      dbname: 'my db',
      password: "it's \\ ok",
      options: '',
    });
  });

  it('applies backslash escapes in unquoted values too', () => {
    assert.deepEqual(parseKeywordValue('dbname=a\\ b user=x\\y'), { dbname: 'a b', user: 'xy' });
  });

  it('lets a later keyword override an earlier one', () => {
    assert.deepEqual(parseKeywordValue('port=1 port=2'), { port: '2' });
  });

  it("refuses what libpq refuses, with libpq's words", () => {
    assert.throws(() => parseKeywordValue('host=a port'), conninfoError(/missing "=" after "port"/));
    assert.throws(() => parseKeywordValue("dbname='open"), conninfoError(/unterminated quoted string/));
    assert.throws(() => parseKeywordValue('hots=a'), conninfoError(/invalid connection option "hots"/));
  });

  it('reads psql-style arguments: URI, conninfo, or a bare database name', () => {
    assert.deepEqual(parseConnString('mydb'), { dbname: 'mydb' });
    assert.deepEqual(parseConnString('service=prod'), { service: 'prod' });
    assert.deepEqual(parseConnString('postgres://h/d'), { host: 'h', dbname: 'd' });
  });

  it('formats values so libpq reads them back unchanged', () => {
    const p = {
      host: '/var/run/postgresql',
      dbname: "it's a db",
      options: '-c a=b',
      user: 'back\\slash',
      application_name: '',
    };
    assert.deepEqual(parseKeywordValue(formatKeywordValue(p)), p);
  });
});

describe('conn: connection URIs', () => {
  it('reads user, password, host, port, database and query parameters', () => {
    assert.deepEqual(
      parseUri('postgresql://alice:s3cret@db.example.com:6432/sales?sslmode=verify-full&application_name=x'),
      {
        user: 'alice',
        password: 's3cret',
        host: 'db.example.com',
        port: '6432',
        dbname: 'sales',
        sslmode: 'verify-full',
        application_name: 'x',
      },
    );
  });

  it('percent-decodes every part, including a Unix-socket host', () => {
    assert.deepEqual(parseUri('postgresql://us%40er:p%3Aw%2F@%2Fvar%2Frun%2Fpostgresql/d%C3%A9mo?options=-c%20x%3D1'), {
      user: 'us@er',
      password: 'p:w/',
      host: '/var/run/postgresql',
      dbname: 'démo',
      options: '-c x=1',
    });
    assert.deepEqual(parseUri('postgresql:///app?host=/tmp&port=5433'), { dbname: 'app', host: '/tmp', port: '5433' });
  });

  it('reads multi-host lists and IPv6 literals; missing ports become empty entries', () => {
    assert.deepEqual(parseUri('postgresql://a:1,b:2/db'), { host: 'a,b', port: '1,2', dbname: 'db' });
    assert.deepEqual(parseUri('postgresql://a:1,b/db'), { host: 'a,b', port: '1,', dbname: 'db' });
    assert.deepEqual(parseUri('postgres://[::1]:5433,[fe80::2]/x'), {
      host: '::1,fe80::2',
      port: '5433,',
      dbname: 'x',
    });
  });

  it('accepts the bare forms libpq accepts', () => {
    assert.deepEqual(parseUri('postgresql://'), {});
    assert.deepEqual(parseUri('postgresql://localhost'), { host: 'localhost' });
    assert.deepEqual(parseUri('postgresql://:5433'), { port: '5433' });
    assert.deepEqual(parseUri('postgresql://user@/db'), { user: 'user', dbname: 'db' });
    assert.deepEqual(parseUri('postgresql://h/db?'), { host: 'h', dbname: 'db' });
  });

  it('maps the JDBC ssl=true to sslmode=require', () => {
    assert.deepEqual(parseUri('postgresql://h?ssl=true'), { host: 'h', sslmode: 'require' });
  });

  it('names the malformed URI (password masked) and what is wrong', () => {
    const cases: Array<[string, RegExp]> = [
      ['postgresql://[::1/db', /matching "\]"/],
      ['postgresql://[]/db', /IPv6 host address may not be empty/],
      ['postgresql://[::1]x/db', /unexpected character "x"/],
      ['postgresql://h/db?sslmode', /missing key\/value separator/],
      ['postgresql://h/db?a=b=c', /extra key\/value separator/],
      ['postgresql://h/db?bogus=1', /invalid URI query parameter "bogus"/],
      ['postgresql://h/d%zzb', /invalid percent-encoded token "%zz"/],
      ['postgresql://h/d%00', /forbidden value %00/],
    ];
    for (const [uri, pattern] of cases) {
      assert.throws(
        () => parseUri(uri),
        (e: unknown) =>
          PgOpsError.is(e, 'conninfo') && pattern.test(e.message) && e.message.includes('Malformed connection URI'),
        uri,
      );
    }
    assert.throws(
      () => parseUri('postgresql://bob:hunter2@h/d%zz'),
      (e: unknown) => PgOpsError.is(e) && !e.message.includes('hunter2') && e.message.includes('bob:********@h'),
    );
  });

  it('masks passwords when quoting a URI', () => {
    assert.equal(
      maskUri('postgresql://u:pw@h/d?password=x&sslmode=require'),
      'postgresql://u:********@h/d?password=********&sslmode=require',
    );
  });
});
