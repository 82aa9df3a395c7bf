/**
 * `npm run loadtest` end to end, small: the send scenario against a private cluster of
 * ours and the bare baseline in one run; it must finish, print both, and write JSON
 * whose figures add up (every acknowledged message delivered to every socket).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '@chat/testkit';

const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  // The runner starts the compiled services, as `npm run loadtest` does after its build.
  await run(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-b', 'services/api', 'services/gateway'], { cwd: repoRoot });
  dir = await mkdtemp(join(tmpdir(), 'chat-loadtest-'));
}, 180_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface SendResult {
  target: string;
  summary: Record<string, number>;
  details: { report: { sent: number; acked: number; delivered: number; expected: number; lost: number; duplicates: number } };
}

describe('npm run loadtest', () => {
  it('runs the send scenario against ours and the baseline and writes figures that add up', async () => {
    const out = join(dir, 'send.json');
    const { stdout } = await run(
      process.execPath,
      [
        '--conditions=development', '--import', 'tsx', 'loadtest/src/main.ts',
        '--scenario', 'send', '--compare', '--duration', '2', '--room-size', '4', '--users-per-room', '4', '--senders', '2',
        '--fast-postgres', '--out', out,
      ],
      { cwd: repoRoot, timeout: 150_000 },
    );
    expect(stdout).toContain('== send · ours ==');
    expect(stdout).toContain('== send · baseline ==');
    expect(stdout).toContain(`results: ${out}`);

    const { results } = JSON.parse(await readFile(out, 'utf8')) as { results: SendResult[] };
    expect(results.map((r) => r.target)).toEqual(['ours', 'baseline']);
    for (const { target, summary, details } of results) {
      const { report } = details;
      expect(report.acked, target).toBeGreaterThan(0);
      expect(report.acked, target).toBe(report.sent);
      expect(report.expected, target).toBe(report.acked * 4);
      expect(report.delivered, target).toBe(report.expected);
      expect([report.lost, report.duplicates], target).toEqual([0, 0]);
      expect(summary['durable sends/s'], target).toBeGreaterThan(0);
    }
  }, 180_000);
});
