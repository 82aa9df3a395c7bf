import { describe, expect, it } from 'vitest';
import { AppError } from '@chat/contract';
import { TimeoutError } from '../timeout.js';
import { dependencyError, isOutage, toAppError } from './outage.js';
import { safeError } from './safe-error.js';

const withCode = (message: string, code: string): Error => Object.assign(new Error(message), { code });

describe('the outage classifier', () => {
  it.each([
    ['a refused connection', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a refused dual-stack connect', new AggregateError([withCode('connect ECONNREFUSED ::1:6379', 'ECONNREFUSED')])],
    ['a name that does not resolve yet', withCode('getaddrinfo EAI_AGAIN redis', 'EAI_AGAIN')],
    ['an unreachable network', withCode('connect ENETUNREACH', 'ENETUNREACH')],
    ['an administrator shutdown (57P01)', withCode('terminating connection', '57P01')],
    ['too many connections (53300)', withCode('sorry, too many clients already', '53300')],
    ['a connection exception (class 08)', withCode('connection failure', '08006')],
    ['statement_timeout (57014)', withCode('canceling statement due to statement timeout', '57014')],
    ['idle_in_transaction_session_timeout (25P03)', withCode('terminating connection due to idle-in-transaction timeout', '25P03')],
    ["ioredis's commandTimeout", new Error('Command timed out')],
    ['a Redis that is not ready', new Error('Redis connection is not ready')],
    ['a closed Redis connection', new Error('Connection is closed.')],
    ['a Redis loading its dataset', new Error('LOADING Redis is loading the dataset in memory')],
    ['a Redis Cluster slot without a master', new Error('CLUSTERDOWN The cluster is down')],
    ['a Redis Cluster key in migration', new Error('TRYAGAIN Multiple keys request during rehashing of slot')],
    ['a demoted Redis master', new Error("READONLY You can't write against a read only replica.")],
    ['ioredis lost in redirections', new Error('Too many Cluster redirections. Last error: Error: CLUSTERDOWN')],
    ['ioredis without slots', new Error('Failed to refresh slots cache.')],
    ['an exhausted knex pool', Object.assign(new Error('Knex: Timeout acquiring a connection. The pool is probably full.'), { name: 'KnexTimeoutError' })],
    ['a deadline', new TimeoutError('no answer within 10 ms')],
    ['a cause of a wrapper', new Error('query failed', { cause: withCode('connect ECONNREFUSED', 'ECONNREFUSED') })],
  ])('calls %s an outage: unavailable', (_name, err) => {
    expect(isOutage(err)).toBe(true);
    expect(toAppError(err).code).toBe('unavailable');
  });

  it('maps text PostgreSQL cannot store to validation', () => {
    expect(dependencyError(withCode('invalid byte sequence for encoding "UTF8": 0x00', '22021'))?.code).toBe('validation');
    expect(dependencyError(withCode('unsupported Unicode escape sequence', '22P05'))?.code).toBe('validation');
  });

  it('passes AppErrors through and calls everything else internal', () => {
    const forbidden = AppError.forbidden('no');
    expect(toAppError(forbidden)).toBe(forbidden);
    expect(toAppError(new TypeError('x is undefined')).code).toBe('internal');
    expect(toAppError('a string').code).toBe('internal');
    expect(toAppError(withCode('duplicate key', '23505')).code).toBe('internal');
    expect(isOutage(new TypeError('x'))).toBe(false);
  });

  it('stops at a cause that is the error itself', () => {
    const looped = new Error('looped');
    Object.assign(looped, { cause: looped });
    expect(isOutage(looped)).toBe(false);
  });
});

describe('safeError', () => {
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

  it('cuts long messages and describes what is not an Error', () => {
    expect(safeError(new Error('x'.repeat(1000))).message).toHaveLength(300);
    expect(safeError('a string')).toEqual({ type: 'string', message: 'non-error thrown' });
  });
});
