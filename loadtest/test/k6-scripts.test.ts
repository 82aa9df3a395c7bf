import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '@chat/testkit';

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

  it('keeps the framing module free of imports, so Node and k6 both load it', async () => {
    expect(importsOf(await readFile(join(k6Dir, 'lib/socketio.js'), 'utf8'))).toEqual([]);
  });
});
