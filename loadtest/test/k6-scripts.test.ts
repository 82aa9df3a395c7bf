import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '@chat/testkit';
import { afterAck, BACKOFF_MAX_MS, BACKOFF_START_MS } from '../k6/lib/pacing.js';

const run = promisify(execFile);
const k6Dir = join(repoRoot, 'loadtest/k6');
const scripts = ['connect-ramp.js', 'room-fanout.js', 'send-ack.js', 'reconnect-storm.js'];

const importsOf = (code: string): string[] => [...code.matchAll(/^import\s[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]!);

describe('loadtest/k6', () => {
  it('has the connect ramp, room fan-out, send-with-ack and reconnect storm scripts, each with thresholds', async () => {
    expect((await readdir(k6Dir)).filter((f) => f.endsWith('.js')).sort()).toEqual([...scripts].sort());
    for (const script of scripts) {
      const code = await readFile(join(k6Dir, script), 'utf8');
      expect(code, script).toMatch(/export var options = \{[\s\S]*thresholds: \{/);
      expect(code, script).toMatch(/export function setup\(\)/);
    }
  });

  it('parses every script and library as an ES module importing only k6 modules and its own lib', async () => {
    const files = [...scripts, ...(await readdir(join(k6Dir, 'lib'))).filter((f) => f.endsWith('.js')).map((f) => `lib/${f}`)];
    for (const file of files) {
      await expect(run(process.execPath, ['--check', join(k6Dir, file)]), file).resolves.toBeDefined();
      for (const specifier of importsOf(await readFile(join(k6Dir, file), 'utf8'))) {
        expect(specifier, `${file} imports ${specifier}`).toMatch(/^(k6(\/[\w/]+)?|\.\.?\/[\w./-]+\.js)$/);
      }
    }
  });

  it('keeps the framing and pacing modules free of imports, so Node and k6 both load them', async () => {
    expect(importsOf(await readFile(join(k6Dir, 'lib/socketio.js'), 'utf8'))).toEqual([]);
    expect(importsOf(await readFile(join(k6Dir, 'lib/pacing.js'), 'utf8'))).toEqual([]);
  });

  it('paces send-ack.js: the next send at once after ok, a doubling wait after rate_limited, a stop after a refusal', async () => {
    expect(afterAck({ ok: true }, 4_000)).toMatchObject({ action: 'send', delayMs: 0 });
    const limited = { ok: false, error: { code: 'rate_limited' } };
    const waits: number[] = [];
    let backoff = 0;
    for (let i = 0; i < 8; i++) {
      const next = afterAck(limited, backoff);
      expect(next.action).toBe('wait');
      waits.push((backoff = next.delayMs));
    }
    expect(waits.slice(0, 3)).toEqual([BACKOFF_START_MS, BACKOFF_START_MS * 2, BACKOFF_START_MS * 4]);
    expect(Math.max(...waits)).toBe(BACKOFF_MAX_MS);
    expect(afterAck(undefined, 0)).toMatchObject({ action: 'wait', reason: 'no answer' });
    expect(afterAck({ ok: false, error: { code: 'validation' } }, 0)).toMatchObject({ action: 'stop', reason: 'validation' });
    expect(afterAck({ ok: false, error: { code: 'forbidden' } }, 250)).toMatchObject({ action: 'stop' });
    // The script acts on it: no send straight from the ack callback without asking.
    const script = await readFile(join(k6Dir, 'send-ack.js'), 'utf8');
    expect(script).toMatch(/afterAck\(answer/);
  });
});
