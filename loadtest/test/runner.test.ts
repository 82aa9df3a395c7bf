/**
 * `npm run loadtest` end to end, small: the send scenario against a private cluster of
 * ours and the bare baseline in one run, and tiny idle and fan-out runs against ours;
 * each must finish, print its tables, and write JSON whose figures add up (every socket
 * held, every acknowledged message delivered to every socket).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '@chat/testkit';
import type { StepReport } from '../src/scenarios/delivery-step.js';

const run = promisify(execFile);
let dir: string;

/** Runs `npm run loadtest -- …args` (as its script does after the build); resolves to stdout and the JSON written. */
async function loadtest<T>(name: string, args: string[]): Promise<{ stdout: string; results: T[] }> {
  const out = join(dir, `${name}.json`);
  const { stdout } = await run(process.execPath, ['--conditions=development', '--import', 'tsx', 'loadtest/src/main.ts', ...args, '--fast-postgres', '--out', out], {
    cwd: repoRoot,
    timeout: 150_000,
  });
  expect(stdout).toContain(`results: ${out}`);
  expect(stdout).not.toContain('!!');
  return { stdout, results: (JSON.parse(await readFile(out, 'utf8')) as { results: T[] }).results };
}

beforeAll(async () => {
  // The runner starts the compiled services, as `npm run loadtest` does after its build.
  await run(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-b', 'services/api', 'services/gateway'], { cwd: repoRoot });
  dir = await mkdtemp(join(tmpdir(), 'chat-loadtest-'));
}, 180_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** What the runner writes of a step: the scenarios' own report type (JSON keeps every field). */
type Report = StepReport;

interface SendResult {
  target: string;
  summary: Record<string, number>;
  details: { report: Report };
}

interface IdleResult {
  summary: Record<string, number>;
  rows: Record<string, string | number>[];
  problems: string[];
}

interface FanoutResult {
  summary: Record<string, number>;
  problems: string[];
  details: { steps: { rate: number; report: Report }[] };
}

describe('npm run loadtest', () => {
  it('runs the send scenario against ours and the baseline and writes figures that add up', async () => {
    const { stdout, results } = await loadtest<SendResult>('send', [
      '--scenario', 'send', '--compare', '--duration', '2', '--room-size', '4', '--users-per-room', '4', '--senders', '2',
    ]);
    expect(stdout).toContain('== send · ours ==');
    expect(stdout).toContain('== send · baseline ==');
    expect(results.map((r) => r.target)).toEqual(['ours', 'baseline']);
    for (const { target, summary, details } of results) {
      const { report } = details;
      expect(report.acked, target).toBeGreaterThan(0);
      expect(report.acked, target).toBe(report.sent);
      expect(report.expected, target).toBe(report.acked * 4);
      expect(report.delivered, target).toBe(report.expected);
      expect([report.lost, report.late, report.duplicates], target).toEqual([0, 0, 0]);
      expect(summary['durable sends/s'], target).toBeGreaterThan(0);
    }
  }, 180_000);

  it('runs the idle scenario and reports every requested socket still held at the end, with memory per socket', async () => {
    const { stdout, results } = await loadtest<IdleResult>('idle', [
      '--scenario', 'idle', '--sockets', '6', '--room-size', '3', '--users-per-room', '2', '--settle', '1',
    ]);
    expect(stdout).toContain('== idle · ours ==');
    expect(results).toHaveLength(1);
    const { summary, rows, problems } = results[0]!;
    expect(problems).toEqual([]);
    expect([summary.requested, summary['held at end'], summary['gateway sockets']]).toEqual([6, 6, 6]);
    // Both gateways report, and between them hold every socket.
    expect(rows.map((r) => r.server)).toEqual(['gateway-1', 'gateway-2']);
    expect(rows.reduce((a, r) => a + Number(r.sockets), 0)).toBe(6);
    for (const key of ['heap/socket KB', 'rss/socket KB', 'connect+join/s', 'idle cpu %']) expect(Number.isFinite(summary[key]), key).toBe(true);
    expect(summary['connect+join/s']).toBeGreaterThan(0);
  }, 180_000);

  it('runs two fan-out steps and reports each with nothing lost, late, doubled or reordered', async () => {
    const { stdout, results } = await loadtest<FanoutResult>('fanout', [
      '--scenario', 'fanout', '--rooms', '2', '--room-size', '3', '--users-per-room', '2', '--senders', '1',
      '--rate', '4', '--rate-factor', '2', '--max-rate', '8', '--step-seconds', '1', '--max-p99', '2000',
    ]);
    expect(stdout).toContain('== fanout · ours ==');
    const { summary, details, problems } = results[0]!;
    expect(problems).toEqual([]);
    expect(summary.sockets).toBe(6);
    expect(details.steps.map((s) => s.rate)).toEqual([4, 8]);
    for (const { rate, report } of details.steps) {
      expect(report.sent, `rate ${rate}`).toBe(rate);
      expect(report.acked, `rate ${rate}`).toBe(report.sent);
      // Each message reaches the 3 sockets of its room, the sender's included.
      expect(report.expected, `rate ${rate}`).toBe(report.acked * 3);
      expect(report.delivered, `rate ${rate}`).toBe(report.expected);
      expect([report.lost, report.late, report.duplicates, report.outOfOrder], `rate ${rate}`).toEqual([0, 0, 0, 0]);
      expect(report.deliveredPerSecond, `rate ${rate}`).toBeGreaterThan(0);
      expect(report.deliverySeconds, `rate ${rate}`).toBeGreaterThanOrEqual(report.sendSeconds);
      expect(report.deliveredPerSecond, `rate ${rate}`).toBeCloseTo(report.delivered / report.deliverySeconds, 6);
    }
    expect(summary['best delivered/s']).toBeGreaterThan(0);
    expect(summary['lost (all steps)']).toBe(0);
  }, 180_000);
});
