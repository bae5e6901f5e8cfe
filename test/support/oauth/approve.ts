/**
 * Approves (or denies) a device code the way a person would: open the verification page, submit
 * the provider's own HTML forms (code confirmation, sign-in, consent) with cookies and redirects,
 * as a browser does. No shortcut into the provider's internals.
 */
import * as https from 'node:https';

interface Page {
  status: number;
  url: URL;
  location?: string;
  body: string;
}

interface Form {
  id?: string;
  action: string;
  method: string;
  fields: Array<[string, string]>;
  inputs: string[];
}

class Browser {
  private readonly cookies = new Map<string, { value: string; path: string }>();

  constructor(private readonly ca: string) {}

  async request(url: URL, method: 'GET' | 'POST', form?: URLSearchParams): Promise<Page> {
    const body = form?.toString();
    const cookie = [...this.cookies.entries()]
      .filter(([, c]) => url.pathname.startsWith(c.path))
      .map(([k, c]) => `${k}=${c.value}`)
      .join('; ');
    const headers: Record<string, string> = { accept: 'text/html' };
    if (cookie) headers.cookie = cookie;
    if (body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    return await new Promise<Page>((resolve, reject) => {
      const req = https.request(url, { method, headers, ca: this.ca }, (res) => {
        for (const set of res.headers['set-cookie'] ?? []) this.store(set);
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            url,
            location: res.headers.location,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  private store(setCookie: string): void {
    const [pair, ...attrs] = setCookie.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    const pathAttr = attrs.find((a) => a.toLowerCase().startsWith('path='));
    const expired = attrs.some((a) => /^expires=thu, 01 jan 1970/i.test(a)) || value === '';
    if (expired) this.cookies.delete(name);
    else this.cookies.set(name, { value, path: pathAttr ? pathAttr.slice(5) : '/' });
  }
}

function decodeEntities(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([\w-]+)\s*=\s*"([^"]*)"/g)) out[m[1].toLowerCase()] = decodeEntities(m[2]);
  return out;
}

function firstForm(html: string): Form | undefined {
  const m = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!m) return undefined;
  const attrs = attributes(m[1]);
  const fields: Array<[string, string]> = [];
  const inputs: string[] = [];
  for (const input of m[2].matchAll(/<input\b([^>]*)>/gi)) {
    const a = attributes(input[1]);
    if (!a.name) continue;
    inputs.push(a.name);
    if (a.type === 'hidden') fields.push([a.name, a.value ?? '']);
  }
  return { id: attrs.id, action: attrs.action ?? '', method: (attrs.method ?? 'get').toLowerCase(), fields, inputs };
}

function title(html: string): string {
  return /<title>([^<]*)<\/title>/i.exec(html)?.[1]?.trim() ?? '';
}

export interface ApprovalResult {
  /** Title of the last page the "person" saw, e.g. "Sign-in Success". */
  finalTitle: string;
  finalText: string;
  steps: number;
}

/**
 * Goes through the provider's pages from the verification URI: submits the code, confirms (or
 * aborts with `deny`), signs in as `account`, consents. Resolves with the last page shown.
 */
export async function approveDeviceCode(opts: {
  verificationUri: string;
  userCode: string;
  account: string;
  ca: string;
  deny?: boolean;
}): Promise<ApprovalResult> {
  const browser = new Browser(opts.ca);
  let page = await browser.request(new URL(opts.verificationUri), 'GET');
  for (let steps = 1; steps <= 20; steps++) {
    if (page.status >= 300 && page.status < 400 && page.location) {
      page = await browser.request(new URL(page.location, page.url), 'GET');
      continue;
    }
    const form = firstForm(page.body);
    const t = title(page.body);
    // Done when the provider shows success, an error message (class "red") or a page without a form.
    const finished = !form || t === 'Sign-in Success' || page.body.includes('<p class="red">');
    if (finished)
      return {
        finalTitle: t,
        finalText: page.body
          .replace(/<[^>]+>/g, ' ')
          .replace(/\s+/g, ' ')
          .trim(),
        steps,
      };
    const fields = new URLSearchParams(form.fields);
    if (form.inputs.includes('user_code') && !fields.get('user_code')) fields.set('user_code', opts.userCode);
    if (form.inputs.includes('login')) {
      fields.set('login', opts.account);
      fields.set('password', 'any password');
    }
    if (form.id === 'op.deviceConfirmForm' && opts.deny) {
      // The confirmation page offers "Continue" and an "abort" button; a person denying clicks abort.
      fields.set('abort', 'yes');
    }
    page = await browser.request(new URL(form.action, page.url), 'POST', fields);
  }
  throw new Error(`device approval did not finish within 20 pages (last page: ${title(page.body)})`);
}
