/**
 * Which names mean a secret: setting names (core and extension `x.y`), option names of user
 * mappings and servers, mount options. A name is split into words (`ssl_passphrase_command` →
 * ssl, passphrase, command); it is secret when a word means a secret and its last word does not
 * say it is something about the secret instead: `ssl_key_file` is a path, `password_encryption` an
 * algorithm, `md5_password_warnings` a switch. A file path is not a secret; a key is.
 */
import type { RedactionRule } from './rules';

const secretWords = new Set([
  'password',
  'passwd',
  'pass',
  'passphrase',
  'secret',
  'secrets',
  'token',
  'tokens',
  'credential',
  'credentials',
  'cred',
  'creds',
  'key',
  'keys',
  'apikey',
  'salt',
]);
/** Compounds written as one word: sslpassword, ldapbindpasswd, clientsecret, apitoken. */
const secretEndings = ['password', 'passwd', 'passphrase', 'secret', 'token'];
const descriptors = new Set([
  'file',
  'files',
  'path',
  'dir',
  'directory',
  'encryption',
  'iterations',
  'warnings',
  'reload',
  'required',
  'timeout',
  'length',
  'id',
  'name',
  'type',
  'method',
  'algorithm',
  'mode',
  'size',
  'bits',
  'enabled',
  'lifetime',
  'count',
]);

export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

export function isSecretName(name: string): boolean {
  const words = nameWords(name);
  if (words.length === 0 || descriptors.has(words[words.length - 1])) return false;
  return words.some((w) => secretWords.has(w) || secretEndings.some((e) => w.endsWith(e)));
}

/** `archive_command`, `restore_command`, `ssl_passphrase_command`, any extension's `x.y_command`: a shell command line. */
export function isCommandName(name: string): boolean {
  const words = nameWords(name);
  return words[words.length - 1] === 'command';
}

/** The rule a setting's value falls under, by the setting's name. */
export function settingRule(name: string): RedactionRule | undefined {
  if (isCommandName(name)) return 'setting-command';
  return isSecretName(name) ? 'setting-secret' : undefined;
}
