import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '@chat/testkit';
import { parseOptions } from '../src/options.js';

describe('BENCHMARKS.md', () => {
  it('gives a command the runner accepts for each published scenario, all of them compared with the baseline', async () => {
    const text = await readFile(join(repoRoot, 'BENCHMARKS.md'), 'utf8');
    const commands = [...text.matchAll(/^npm run loadtest -- (.+)$/gm)].map((m) => m[1]!.trim().split(/\s+/));
    expect(commands.length).toBeGreaterThanOrEqual(4);
    const parsed = commands.map((argv) => parseOptions(argv));
    expect(new Set(parsed.map((o) => o.scenario))).toEqual(new Set(['idle', 'fanout', 'send']));
    for (const options of parsed) expect(options.targets).toEqual(['ours', 'baseline']);
  });
});
