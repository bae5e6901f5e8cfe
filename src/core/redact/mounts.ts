/**
 * Mount options in system facts (/etc/fstab, `mount`, /proc/mounts): the value of an option whose
 * name means a secret — `password=`, `pass=`, `passwd=`, `secret=`, `token=`, and `credentials=`
 * / `cred=` (cifs: the file the password lives in; hidden too, as it says where to look). User
 * names (`user=`, `username=`, `uid=`) are not secrets and stay. A value ends at a comma,
 * whitespace or ")" (fstab writes a space inside a value as \040).
 */
import { isSecretName } from './names';
import { isMarkerAt, marker } from './rules';

const option = /(?<=^|[\s,(])([A-Za-z][\w.-]*)=(?=[^,\s)])/gm;
const valueEnd = /[,\s)]/;

export function redactMountOptions(text: string): string {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(option)) {
    const start = (m.index ?? 0) + m[0].length;
    if (start < last || !isSecretName(m[1]) || isMarkerAt(text, start)) continue;
    let end = start;
    while (end < text.length && !valueEnd.test(text[end])) end++;
    out += text.slice(last, start) + marker('mount-secret');
    last = end;
  }
  return out + text.slice(last);
}
