export type Role = 'owner' | 'member' | 'viewer';

export const ROLES: readonly Role[] = ['owner', 'member', 'viewer'];

/** Viewers read; members and owners change the account's resources. */
export const canWrite = (role: Role): boolean => role !== 'viewer';

/** Only owners change who is on the team. */
export const canManageTeam = (role: Role): boolean => role === 'owner';
