import * as assert from 'node:assert/strict';
import { parseProfiles, profileFromInput, profileParams, profileTarget } from '../../src/core/conn/profile';
import { PgOpsError } from '../../src/core/errors';

describe('conn: profiles in settings hold libpq keywords and never a secret', () => {
  it('combines conninfo with the separate fields, the fields winning', () => {
    const [p] = parseProfiles([
      {
        name: 'a',
        conninfo: 'postgresql://u@h1:6000/db?sslmode=verify-full&target_session_attrs=read-write',
        port: 7000,
        dbname: 'other',
      },
    ]);
    assert.deepEqual(profileParams(p), {
      user: 'u',
      host: 'h1',
      port: '7000',
      dbname: 'other',
      sslmode: 'verify-full',
      target_session_attrs: 'read-write',
    });
    const [s] = parseProfiles([{ name: 's', conninfo: 'service=reporting' }]);
    assert.deepEqual(profileParams(s), { service: 'reporting' });
  });

  it('refuses a password in the conninfo of a setting, naming the profile but not the value', () => {
    for (const conninfo of [
      'host=h password=hunter2',
      'postgresql://u:hunter2@h/db',
      'postgresql://h/db?sslpassword=hunter2',
    ]) {
      assert.throws(
        () => parseProfiles([{ name: 'prod', conninfo }]),
        (e: unknown) =>
          PgOpsError.is(e, 'settings') &&
          e.message.includes('"prod"') &&
          !e.message.includes('hunter2') &&
          /Secret Storage/.test(e.hint ?? ''),
      );
    }
    assert.throws(
      () => parseProfiles([{ name: 'x', conninfo: 'postgresql://h/db?sslmode=sometimes' }]),
      /invalid sslmode value/,
    );
    assert.throws(
      () => parseProfiles([{ name: 'x', passwordCommand: 'vault read' }]),
      /must be a non-empty list of strings/,
    );
  });

  it('splits the password and the OAuth client secret off a pasted URI or conninfo, for Secret Storage', () => {
    const none = { password: undefined, oauthClientSecret: undefined };
    assert.deepEqual(profileFromInput(' postgresql://alice:p%40ss@db:5433/app?sslmode=require '), {
      ...none,
      conninfo: 'postgresql://alice@db:5433/app?sslmode=require',
      password: 'p@ss',
      summary: 'postgresql://alice:********@db:5433/app?sslmode=require',
    });
    assert.deepEqual(profileFromInput("host=db password='a b' dbname=app"), {
      ...none,
      conninfo: 'host=db dbname=app',
      password: 'a b',
      summary: 'host=db dbname=app',
    });
    assert.deepEqual(profileFromInput('service=reporting'), {
      ...none,
      conninfo: 'service=reporting',
      summary: 'service=reporting',
    });
    assert.deepEqual(profileFromInput('db.example.com'), {
      ...none,
      conninfo: 'host=db.example.com',
      summary: 'host=db.example.com',
    });
    const uri = profileFromInput(
      'postgresql://bob@db/app?password=x&oauth_client_secret=s%26t&oauth_client_id=pg&sslmode=verify-full',
    );
    assert.equal(
      uri.conninfo,
      'postgresql://bob@db/app?oauth_client_id=pg&sslmode=verify-full',
      'both secrets, even side by side, leave the URI',
    );
    assert.equal(uri.password, 'x');
    assert.equal(uri.oauthClientSecret, 's&t');
    const kv = profileFromInput("host=db oauth_issuer=https://idp oauth_client_id=pg oauth_client_secret='c s'");
    assert.deepEqual(kv, {
      ...none,
      conninfo: 'host=db oauth_issuer=https://idp oauth_client_id=pg',
      oauthClientSecret: 'c s',
      summary: 'host=db oauth_issuer=https://idp oauth_client_id=pg',
    });
    assert.equal(profileFromInput('postgresql://db/app?oauth_client_secret=only').conninfo, 'postgresql://db/app');
  });

  it('gives tools the first endpoint with libpq defaults', () => {
    const [p] = parseProfiles([{ name: 'm', conninfo: 'host=a,b port=5001,5002 user=u' }]);
    const ctx = {
      env: {},
      homeDir: '/nonexistent',
      osUser: 'me',
      defaultSocketDir: '/run/pg',
      sysconfDir: '/nonexistent',
    };
    assert.deepEqual(profileTarget(p, undefined, ctx), {
      host: 'a',
      port: 5001,
      user: 'u',
      database: 'u',
      password: undefined,
    });
  });
});
