/** PostgreSQL's unique_violation, optionally on one named constraint or index. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  return hasCode(err, '23505', constraint);
}

/** PostgreSQL's foreign_key_violation, optionally on one named constraint. */
export function isForeignKeyViolation(err: unknown, constraint?: string): boolean {
  return hasCode(err, '23503', constraint);
}

/** What a token whose user was deleted gets: it authenticates no one any more. */
export const USER_GONE = 'user no longer exists';

/** A row naming the caller as owner or member was refused: the token's user does not exist (any more). */
export function isUserGone(err: unknown): boolean {
  return isForeignKeyViolation(err, 'rooms_owner_id_fkey') || isForeignKeyViolation(err, 'memberships_user_id_fkey');
}

/**
 * A PostgreSQL data exception (class 22: invalid text, a value too long) or
 * integrity violation (class 23: a constraint): the fault of one row, not of
 * the database. Returns the SQLSTATE, or undefined.
 */
export function dataErrorCode(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code)) return code;
  return err.cause !== undefined && err.cause !== err ? dataErrorCode(err.cause) : undefined;
}

function hasCode(err: unknown, code: string, constraint: string | undefined): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; constraint?: unknown };
  return e.code === code && (constraint === undefined || e.constraint === constraint);
}
