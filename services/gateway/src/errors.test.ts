import { describe, expect, it } from 'vitest';
import { AppError } from '@chat/contract';
import { dataErrorCode, safeError, toAppError } from './errors.js';

describe('errors', () => {
  it('maps outages to unavailable, AppErrors to themselves and the rest to internal', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(toAppError(refused).code).toBe('unavailable');
    expect(toAppError(new AggregateError([refused])).code).toBe('unavailable');
    expect(toAppError(Object.assign(new Error('terminating connection'), { code: '57P01' })).code).toBe('unavailable');
    expect(toAppError(new Error('Redis connection is not ready')).code).toBe('unavailable');
    // ioredis's commandTimeout, PostgreSQL's statement_timeout and idle_in_transaction_session_timeout.
    expect(toAppError(new Error('Command timed out')).code).toBe('unavailable');
    expect(toAppError(Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' })).code).toBe('unavailable');
    expect(toAppError(Object.assign(new Error('terminating connection due to idle-in-transaction timeout'), { code: '25P03' })).code).toBe('unavailable');
    const forbidden = AppError.forbidden('no');
    expect(toAppError(forbidden)).toBe(forbidden);
    expect(toAppError(new TypeError('x is undefined')).code).toBe('internal');
    expect(toAppError('a string').code).toBe('internal');
  });

  it('tells a row the database refused (class 22/23) from an outage or a bug', () => {
    const nul = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
    expect(dataErrorCode(nul)).toBe('22021');
    expect(dataErrorCode(new Error('wrapped', { cause: Object.assign(new Error('fk'), { code: '23503' }) }))).toBe('23503');
    expect(dataErrorCode(Object.assign(new Error('terminating connection'), { code: '57P01' }))).toBeUndefined();
    expect(dataErrorCode(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBeUndefined();
    expect(dataErrorCode(new TypeError('x'))).toBeUndefined();
    expect(dataErrorCode('22021')).toBeUndefined();
  });

  it('keeps bound values and row details out of what it logs', () => {
    const err = Object.assign(
      new Error(`insert into "messages" ("content") values ('my secret message') - insert or update on table "messages" violates foreign key constraint`),
      { code: '23503', detail: 'Key (sender_id)=(…) is not present', name: 'error' },
    );
    const logged = safeError(new AppError('internal', 'internal error', { cause: err }));
    expect(logged).toMatchObject({ code: '23503', message: 'insert or update on table "messages" violates foreign key constraint' });
    expect(JSON.stringify(logged)).not.toContain('my secret message');
    expect(JSON.stringify(logged)).not.toContain('Key (sender_id)');
  });
});
