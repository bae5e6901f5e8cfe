import type { ConnectionProfile } from './profile';

/**
 * The rule behind the production flag, kept out of the adapter so it is testable in plain node:
 * a write against a production profile needs the profile's name typed exactly (trimmed, case kept).
 */
export function needsTypedConfirmation(profile: Pick<ConnectionProfile, 'production'>): boolean {
  return profile.production === true;
}

export function confirmationMatches(profile: Pick<ConnectionProfile, 'name'>, typed: string | undefined): boolean {
  return typed !== undefined && typed.trim() === profile.name;
}
