import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot } from '@chat/testkit';
import type { RunOptions } from './options.js';
import type { Row, ScenarioResult } from './scenarios/types.js';

const cell = (v: string | number): string => (typeof v === 'number' ? (Number.isNaN(v) ? '–' : String(v)) : v);

/** A plain-text table: one column per key seen in `rows`, numbers right-aligned. */
export function formatTable(rows: Row[]): string {
  if (rows.length === 0) return '(no rows)\n';
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c] ?? '').length)));
  const line = (values: string[], numeric: boolean[]): string =>
    values.map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  const numeric = columns.map((c) => rows.every((r) => typeof (r[c] ?? 0) === 'number'));
  return [
    line(columns, numeric),
    line(widths.map((w) => '-'.repeat(w)), numeric),
    ...rows.map((r) => line(columns.map((c) => cell(r[c] ?? '')), numeric)),
  ].join('\n') + '\n';
}

/** Lines naming each result's problems, empty when there are none. */
export function problemLines(results: ScenarioResult[]): string[] {
  return results.flatMap((r) => r.problems.map((p) => `!! ${r.scenario} · ${r.target}: ${p}`));
}

export function printResults(results: ScenarioResult[]): void {
  for (const result of results) {
    process.stdout.write(`\n== ${result.scenario} · ${result.target} ==\n${formatTable(result.rows)}`);
  }
  process.stdout.write(`\n== summary ==\n${formatTable(results.map((r) => ({ target: r.target, ...r.summary })))}`);
  const problems = problemLines(results);
  if (problems.length) process.stdout.write(`\n!! THE RUN HAS PROBLEMS: its figures do not stand as results\n${problems.join('\n')}\n`);
}

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot }).toString().trim();
  } catch (err) {
    if (err instanceof Error) return undefined;
    throw err;
  }
}

/** Writes the run's figures, options and machine to JSON; returns the path. */
export async function writeResults(options: RunOptions, results: ScenarioResult[]): Promise<string> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const path = options.out ?? join(repoRoot, 'loadtest/results', `${options.scenario}-${options.targets.join('-vs-')}-${stamp}.json`);
  await mkdir(dirname(path), { recursive: true });
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryBytes: totalmem(), loadavg: loadavg(), node: process.version };
  await writeFile(path, JSON.stringify({ date: new Date().toISOString(), commit: gitCommit(), machine, options, results }, null, 2));
  return path;
}
