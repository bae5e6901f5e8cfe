/**
 * Facts the server looks up for itself while matching: the client's host name (reverse lookup with
 * forward confirmation, hba.c check_hostname) and the machine's interfaces (samehost/samenet). These
 * answer for THIS machine's resolver and interfaces, which equal the server's only when run on it.
 */
import * as dns from 'node:dns';
import * as os from 'node:os';
import { parseIp } from './address';

/** The client's host name as the server would accept it, or null when it has none that maps back. */
export async function resolveClientHostName(address: string): Promise<string | null> {
  const ip = parseIp(address);
  if (!ip) return null;
  try {
    const { hostname } = await dns.promises.lookupService(address, 5432);
    if (!hostname || parseIp(hostname)) return null;
    const forward = await dns.promises.lookup(hostname, { all: true });
    const same = forward.some((f) => {
      const back = parseIp(f.address);
      return back !== undefined && back.family === ip.family && back.bytes.every((b, i) => b === ip.bytes[i]);
    });
    return same ? hostname : null;
  } catch {
    return null;
  }
}

export function machineInterfaces(): Array<{ address: string; netmask: string }> {
  return Object.values(os.networkInterfaces()).flatMap((list) =>
    (list ?? []).map((i) => ({ address: i.address.replace(/%.*$/, ''), netmask: i.netmask })),
  );
}
