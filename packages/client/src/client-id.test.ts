import { afterEach, describe, expect, it, vi } from 'vitest';
import { clientIdSchema } from '@chat/contract';
import { newClientId } from './client-id.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newClientId', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('makes distinct v4 UUIDs the contract accepts', () => {
    const ids = Array.from({ length: 50 }, newClientId);
    expect(new Set(ids).size).toBe(50);
    for (const id of ids) expect(clientIdSchema.safeParse(id).success && UUID_V4.test(id)).toBe(true);
  });

  it('makes them from getRandomValues where randomUUID is missing (a page over plain http)', () => {
    const getRandomValues = vi.fn((bytes: Uint8Array) => bytes.fill(0xff));
    vi.stubGlobal('crypto', { getRandomValues });
    expect(newClientId()).toBe('ffffffff-ffff-4fff-bfff-ffffffffffff');
    expect(getRandomValues).toHaveBeenCalledOnce();
  });

  it('still makes them with no crypto at all', () => {
    vi.stubGlobal('crypto', undefined);
    const [a, b] = [newClientId(), newClientId()];
    expect([UUID_V4.test(a), UUID_V4.test(b), a === b]).toEqual([true, true, false]);
  });
});
