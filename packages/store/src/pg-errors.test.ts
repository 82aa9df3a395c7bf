import { describe, expect, it } from 'vitest';
import { dataErrorCode, isUniqueViolation, isUserGone } from './pg-errors.js';

describe('PostgreSQL errors', () => {
  it('tells a row the database refused (class 22/23) from an outage or a bug', () => {
    const nul = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
    expect(dataErrorCode(nul)).toBe('22021');
    expect(dataErrorCode(new Error('wrapped', { cause: Object.assign(new Error('fk'), { code: '23503' }) }))).toBe('23503');
    expect(dataErrorCode(Object.assign(new Error('terminating connection'), { code: '57P01' }))).toBeUndefined();
    expect(dataErrorCode(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBeUndefined();
    expect(dataErrorCode(new TypeError('x'))).toBeUndefined();
    expect(dataErrorCode('22021')).toBeUndefined();
  });

  it('names a unique or foreign-key violation by its constraint', () => {
    const taken = Object.assign(new Error('duplicate key'), { code: '23505', constraint: 'users_username_lower_unique' });
    expect(isUniqueViolation(taken)).toBe(true);
    expect(isUniqueViolation(taken, 'users_username_lower_unique')).toBe(true);
    expect(isUniqueViolation(taken, 'rooms_name_icu_lower_unique')).toBe(false);
    expect(isUserGone(Object.assign(new Error('fk'), { code: '23503', constraint: 'memberships_user_id_fkey' }))).toBe(true);
    expect(isUserGone(Object.assign(new Error('fk'), { code: '23503', constraint: 'messages_room_id_fkey' }))).toBe(false);
  });
});
