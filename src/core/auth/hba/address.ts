/**
 * Numeric addresses as the server reads them: getaddrinfo(AI_NUMERICHOST) accepts the inet_aton forms of
 * IPv4 (`127.1`, hex, octal) and IPv6 with an optional `%zone`; anything else in the address column is a
 * host name. Masks come from a CIDR length or a separate mask column (pg_sockaddr_cidr_mask, check_ip).
 */

export interface IpAddress {
  family: 4 | 6;
  bytes: number[];
}

function parseIpv4Part(part: string): number | undefined {
  if (/^0x[0-9a-f]*$/i.test(part)) return part.length === 2 ? 0 : parseInt(part.slice(2), 16);
  if (/^0[0-7]*$/.test(part)) return parseInt(part, 8);
  if (/^[1-9][0-9]*$/.test(part)) return parseInt(part, 10);
  return undefined;
}

/** inet_aton: one to four parts; the last part fills the remaining bytes. */
export function parseIpv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length < 1 || parts.length > 4) return undefined;
  const nums = parts.map(parseIpv4Part);
  if (nums.some((n) => n === undefined)) return undefined;
  const values = nums as number[];
  const last = values[values.length - 1];
  const head = values.slice(0, -1);
  if (head.some((n) => n > 255)) return undefined;
  const lastBytes = 4 - head.length;
  if (last >= 2 ** (8 * lastBytes)) return undefined;
  const tail: number[] = [];
  for (let i = lastBytes - 1; i >= 0; i -= 1) tail.push(Math.floor(last / 2 ** (8 * i)) % 256);
  return [...head, ...tail];
}

export function parseIpv6(text: string): number[] | undefined {
  const addr = text.replace(/%[^%]+$/, '');
  if (!/^[0-9a-fA-F:.]+$/.test(addr)) return undefined;
  const halves = addr.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i += 1) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = /^\d{1,3}(\.\d{1,3}){3}$/.test(p) ? p.split('.').map(Number) : undefined;
        if (!v4 || v4.some((n) => n > 255)) return undefined;
        out.push(v4[0] * 256 + v4[1], v4[2] * 256 + v4[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const left = groups(halves[0]);
  const right = halves.length === 2 ? groups(halves[1]) : [];
  if (!left || !right) return undefined;
  let all: number[];
  if (halves.length === 2) {
    if (left.length + right.length > 7) return undefined;
    all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  } else {
    if (left.length !== 8) return undefined;
    all = left;
  }
  return all.flatMap((g) => [g >> 8, g & 255]);
}

/** A numeric address, or undefined when the text is not one (then the server treats it as a host name). */
export function parseIp(text: string): IpAddress | undefined {
  if (text.includes(':')) {
    const bytes = parseIpv6(text);
    return bytes ? { family: 6, bytes } : undefined;
  }
  const bytes = parseIpv4(text);
  return bytes ? { family: 4, bytes } : undefined;
}

/** pg_sockaddr_cidr_mask: a mask of `bits` leading ones, or undefined when the length is not valid. */
export function cidrMask(bitsText: string, family: 4 | 6): number[] | undefined {
  if (!/^\s*[+-]?\d+$/.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  const size = family === 4 ? 4 : 16;
  if (bits < 0 || bits > size * 8) return undefined;
  return Array.from({ length: size }, (_, i) => {
    const n = Math.max(0, Math.min(8, bits - i * 8));
    return (0xff << (8 - n)) & 0xff;
  });
}

/** pg_range_sockaddr: same family and equal under the mask. */
export function ipInRange(client: IpAddress, net: { family: 4 | 6; bytes: number[]; mask: number[] }): boolean {
  if (client.family !== net.family) return false;
  return client.bytes.every((b, i) => ((b ^ net.bytes[i]) & net.mask[i]) === 0);
}

export function maskBits(mask: number[]): number | undefined {
  let bits = 0;
  let ended = false;
  for (const byte of mask) {
    for (let i = 7; i >= 0; i -= 1) {
      const one = (byte >> i) & 1;
      if (one && ended) return undefined;
      if (one) bits += 1;
      else ended = true;
    }
  }
  return bits;
}

export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) return ip.bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((ip.bytes[i] << 8) | ip.bytes[i + 1]).toString(16));
  return groups
    .join(':')
    .replace(/(^|:)0(:0)+(:|$)/, '::')
    .replace(/:{3,}/, '::');
}

/** hostname_match: exact (case-insensitive), or a suffix match when the pattern starts with a dot. */
export function hostnameMatches(pattern: string, actual: string): boolean {
  const p = pattern.toLowerCase();
  const a = actual.toLowerCase();
  if (p.startsWith('.')) return a.length >= p.length && a.endsWith(p);
  return p === a;
}
