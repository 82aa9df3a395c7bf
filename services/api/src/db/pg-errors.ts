/** PostgreSQL's unique_violation, optionally on one named constraint or index. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; constraint?: unknown };
  return e.code === '23505' && (constraint === undefined || e.constraint === constraint);
}

/** PostgreSQL's foreign_key_violation, optionally on one named constraint. */
export function isForeignKeyViolation(err: unknown, constraint?: string): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; constraint?: unknown };
  return e.code === '23503' && (constraint === undefined || e.constraint === constraint);
}

/** What a token whose user was deleted gets: it authenticates no one any more. */
export const USER_GONE = 'user no longer exists';

/** A row naming the caller as owner or member was refused: the token's user does not exist (any more). */
export function isUserGone(err: unknown): boolean {
  return isForeignKeyViolation(err, 'rooms_owner_id_fkey') || isForeignKeyViolation(err, 'memberships_user_id_fkey');
}
