import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '@chat/testkit';
import { parseOptions } from '../src/options.js';

describe('BENCHMARKS.md', () => {
  it('gives a command the runner accepts for each published figure, and compares every scenario with the baseline at least once', async () => {
    const text = await readFile(join(repoRoot, 'BENCHMARKS.md'), 'utf8');
    const commands = [...text.matchAll(/^npm run loadtest -- (.+)$/gm)].map((m) => m[1]!.trim().split(/\s+/));
    const parsed = commands.map((argv) => parseOptions(argv));
    const scenarios = new Set(parsed.map((o) => o.scenario));
    expect(scenarios).toEqual(new Set(['rooms', 'fanout', 'send', 'idle', 'scaleout']));
    for (const scenario of scenarios) {
      expect(parsed.some((o) => o.scenario === scenario && o.targets.join() === 'ours,baseline'), scenario).toBe(true);
    }
  });
});
