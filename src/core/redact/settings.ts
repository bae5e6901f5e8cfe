/**
 * Server settings by name (pg_settings rows, a joined report's settings diff): a `*_command`
 * (archive_command, restore_command, ssl_passphrase_command, any extension's) is hidden whole, as
 * the shell line may carry a secret anywhere; a secret-named setting (core or an extension's
 * `x.y`) is hidden whole unless it is empty or a switch; any other value keeps everything but the
 * password of a connection string in it (`primary_conninfo`, an extension's `*_conninfo`).
 */
import { redactConninfo } from './conninfo';
import { settingRule } from './names';
import { marker } from './rules';

/** Values that hide nothing: empty, a boolean, or the placeholder PostgreSQL shows for a command it does not use. */
const nothingToHide = /^(|on|off|true|false|yes|no|\(disabled\))$/i;

export function redactSetting(name: string, value: string): string {
  const rule = settingRule(name);
  if (rule && !nothingToHide.test(value.trim())) return marker(rule);
  return redactConninfo(value);
}
