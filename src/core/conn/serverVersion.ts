/**
 * server_version_num as people write it: 180004 → "18.4", 90624 → "9.6.24". From PostgreSQL 10 the number is
 * major × 10000 + minor; before that it was major × 10000 + second × 100 + minor.
 */
export function formatServerVersion(versionNum: number): string {
  if (!Number.isInteger(versionNum) || versionNum <= 0) return String(versionNum);
  const major = Math.floor(versionNum / 10000);
  if (major >= 10) return `${major}.${versionNum % 10000}`;
  return `${major}.${Math.floor(versionNum / 100) % 100}.${versionNum % 100}`;
}
