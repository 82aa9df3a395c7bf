import { describe, expect, it } from 'vitest';
import { safeError } from './safe-error.js';

describe('safeError', () => {
  it('keeps the name, the code and the server’s message, not the query and its values', () => {
    const err = Object.assign(new Error('insert into "messages" ("content") values ($1) returning "id" - value too long for type character varying(4000)'), {
      code: '22001',
      detail: 'Failing row contains (secret text)',
    });
    expect(safeError(err)).toEqual({ type: 'Error', code: '22001', message: 'value too long for type character varying(4000)' });
  });

  it('cuts long messages and names what is not an Error', () => {
    expect(safeError(new TypeError('x'.repeat(500))).message).toHaveLength(200);
    expect(safeError('boom')).toEqual({ type: 'string', message: 'non-error thrown' });
    expect(safeError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }))).toEqual({
      type: 'Error',
      code: 'ECONNREFUSED',
      message: 'connect ECONNREFUSED 127.0.0.1:1',
    });
  });
});
