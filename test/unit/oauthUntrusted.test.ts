import * as assert from 'node:assert/strict';
import { inertText, verificationPage } from '../../src/core/auth/oauth/untrusted';

describe('OAuth: what the provider sends, shown and opened safely', () => {
  it('shows control characters, separators and bidi overrides as escapes, splits notification links, and cuts long text', () => {
    assert.equal(
      inertText('plain ABCD-EFGH https://idp.example/device?x=1'),
      'plain ABCD-EFGH https://idp.example/device?x=1',
    );
    assert.equal(inertText('a\x1b[2Jb\x07c\x00d\x7f\x9b'), 'a\\x1b[2Jb\\x07c\\x00d\\x7f\\x9b');
    assert.equal(inertText('one\r\ntwo\tthree'), 'one\\r\\ntwo\\tthree');
    assert.equal(inertText('evil\u202egnp.exe\u2028\u2066'), 'evil\\u{202e}gnp.exe\\u{2028}\\u{2066}');
    assert.equal(
      inertText('[Open settings](command:workbench.action.openSettings)'),
      '[Open settings] (command:workbench.action.openSettings)',
    );
    assert.equal(inertText('x'.repeat(20), 8), 'xxxxxxxx…');
    assert.ok(inertText('y'.repeat(10_000)).length <= 501);
  });

  it('opens verification_uri_complete when it is https, else verification_uri, as parsed', () => {
    assert.deepEqual(
      verificationPage(
        {
          verificationUri: 'https://idp.example/device',
          verificationUriComplete: 'https://idp.example/device?user_code=AB-CD',
        },
        false,
      ),
      { open: 'https://idp.example/device?user_code=AB-CD' },
    );
    assert.deepEqual(
      verificationPage(
        { verificationUri: 'https://idp.example/device', verificationUriComplete: 'javascript:alert(1)' },
        false,
      ),
      { open: 'https://idp.example/device' },
    );
    assert.deepEqual(verificationPage({ verificationUri: 'HTTPS://IDP.example/de vice' }, false), {
      open: 'https://idp.example/de%20vice',
    });
  });

  it('opens http only with PGOAUTHDEBUG=UNSAFE', () => {
    assert.deepEqual(verificationPage({ verificationUri: 'http://127.0.0.1:9100/device' }, true), {
      open: 'http://127.0.0.1:9100/device',
    });
    const refused = verificationPage({ verificationUri: 'http://127.0.0.1:9100/device' }, false);
    assert.ok(
      'refused' in refused &&
        refused.refused.includes('"http://127.0.0.1:9100/device" is not an https:// URL, so pgops does not open it'),
    );
  });

  it('never opens javascript:, file:, command:, vscode:, data: or text that is no URL, and says why inertly', () => {
    const bad = [
      'javascript:alert(document.cookie)',
      'file:///etc/passwd',
      'command:workbench.action.terminal.new',
      'vscode://ms-vscode.remote/open',
      'data:text/html,<script>alert(1)</script>',
      'idp.example/device',
      '',
      'java\nscript:alert(1)',
      'https//idp.example',
    ];
    for (const uri of bad) {
      const page = verificationPage({ verificationUri: uri, verificationUriComplete: uri }, true);
      assert.ok('refused' in page, `${JSON.stringify(uri)} must not be opened`);
      assert.match(
        page.refused,
        /^The provider's page ".*" is not an https:\/\/ URL \(nor http:\/\/, allowed by PGOAUTHDEBUG=UNSAFE\), so pgops does not open it\./s,
      );
    }
    const hostile = verificationPage({ verificationUri: 'javascript:x//\x1b]8;;https://evil\x07' }, false);
    assert.ok('refused' in hostile && !/[\x00-\x1f]/.test(hostile.refused) && hostile.refused.includes('\\x1b]8;;'));
  });
});
