import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '@chat/testkit';
import { chartPathFor, stepChartSvg, writeStepChart } from '../src/charts/render.js';
import { stepPoints, type ResultsFile } from '../src/charts/step-chart.js';
import { parseChartsArgs } from '../src/charts.js';

const run = promisify(execFile);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chat-charts-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const step = (rate: number, delivered: number, p99: number, note = 'ok') => ({ 'rate/s': rate, 'sent/s': rate - 0.1, 'delivered/s': delivered, 'p99 ms': p99, note });

/** A fan-out run as the runner writes it: ours three steps (the last over the bound), the baseline three. */
const fanout: ResultsFile = {
  date: '2026-12-02T07:59:00.000Z',
  commit: 'abc1234',
  options: { scenario: 'fanout', rooms: 20, roomSize: 50, gateways: 2, redisShards: 1, maxP99Ms: 100 },
  results: [
    { scenario: 'fanout', target: 'ours', rows: [step(100, 5000, 40), step(200, 10000, 60), step(400, 19000, 180, 'p99 > 100 ms')] },
    { scenario: 'fanout', target: 'baseline', rows: [step(100, 5000, 30), step(200, 9990, 90), step(400, 15000, 400, 'p99 > 100 ms, ooo')] },
  ],
};

/** The point marks of the two panels: how many, and how many hollow (white). */
function symbols(svg: string): { points: number; hollow: number } {
  const groups = [...svg.matchAll(/<g class="mark-symbol role-mark [^"]*"[^>]*>(.*?)<\/g>/g)].map((m) => m[1]!);
  return {
    points: groups.reduce((n, g) => n + (g.match(/<path/g)?.length ?? 0), 0),
    hollow: groups.reduce((n, g) => n + (g.match(/fill="white"/g)?.length ?? 0), 0),
  };
}

describe('load-test charts (Vega-Lite rendered to SVG in Node)', () => {
  it('draws delivered/s and p99 against the send rate, ours beside the baseline, hollow where a step hit a limit', async () => {
    const svg = (await stepChartSvg(fanout))!;
    expect(svg.startsWith('<svg')).toBe(true);
    for (const text of ['Fan-out: 20 rooms × 50 sockets', 'messages sent per second', 'delivered per second', 'p99 (ms)', 'p99 bound 100 ms', '>ours<', '>baseline<']) {
      expect(svg).toContain(text);
    }
    // Two panels of six steps each; one hollow step per target per panel.
    expect(symbols(svg)).toEqual({ points: 12, hollow: 4 });
  });

  it("takes a scale-out step's figures from its first row, not from the per-gateway rows after it", () => {
    const scaleout: ResultsFile = {
      options: { scenario: 'scaleout', rooms: 40, roomSize: 10, gateways: 4, maxP99Ms: 2000 },
      results: [
        {
          scenario: 'scaleout',
          target: 'ours',
          rows: [
            { ...step(100, 1000, 70), gateway: 'gateway-1' },
            { gateway: 'gateway-2', 'µs/msg': 2000 },
            { ...step(200, 2000, 130), gateway: 'gateway-1' },
            { gateway: 'gateway-2', 'µs/msg': 1300 },
          ],
        },
      ],
    };
    expect(stepPoints(scaleout).map((p) => [p.rate, p.delivered, p.p99, p.step])).toEqual([
      [100, 1000, 70, 'clean'],
      [200, 2000, 130, 'clean'],
    ]);
  });

  it('writes <out>.svg beside a stepped run\'s JSON, and nothing for a run without steps (send)', async () => {
    const json = join(dir, 'fanout-run.json');
    await writeFile(json, JSON.stringify(fanout));
    expect(await writeStepChart(json)).toBe(join(dir, 'fanout-run.svg'));
    expect((await readFile(join(dir, 'fanout-run.svg'), 'utf8')).startsWith('<svg')).toBe(true);

    const send = join(dir, 'send-run.json');
    await writeFile(send, JSON.stringify({ options: { scenario: 'send' }, results: [{ scenario: 'send', target: 'ours', rows: [{ senders: 50, 'acked/s': 1000, 'p99 ms': 80 }] }] }));
    expect(await writeStepChart(send)).toBeUndefined();
    expect(existsSync(chartPathFor(send))).toBe(false);
  });

  it('charts.ts --from <files> --to <dir> renders each stepped file into the folder and names the ones it skipped', async () => {
    await writeFile(join(dir, 'fanout.json'), JSON.stringify(fanout));
    await writeFile(join(dir, 'send.json'), JSON.stringify({ results: [{ scenario: 'send', target: 'ours', rows: [] }] }));
    const out = join(dir, 'charts');
    const { stdout } = await run(process.execPath, ['--conditions=development', '--import', 'tsx', 'loadtest/src/charts.ts', '--from', join(dir, 'fanout.json'), join(dir, 'send.json'), '--to', out], {
      cwd: repoRoot,
    });
    expect(stdout).toContain(`chart: ${join(out, 'fanout.svg')}`);
    expect(stdout).toContain(`skipped (not a stepped scenario): ${join(dir, 'send.json')}`);
    expect(symbols(await readFile(join(out, 'fanout.svg'), 'utf8')).points).toBe(12);
  });

  it('refuses a call without --from or --to', () => {
    expect(() => parseChartsArgs(['--to', 'docs/benchmarks'])).toThrow(/--from and --to are required/);
    expect(() => parseChartsArgs(['--from', 'a.json'])).toThrow(/--from and --to are required/);
    expect(parseChartsArgs(['--from', 'a.json', 'b.json', '--to', 'out'])).toEqual({ from: ['a.json', 'b.json'], to: 'out' });
  });
});
