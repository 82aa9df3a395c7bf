/**
 * Charts of results the runner already wrote:
 *   node --conditions=development --import tsx loadtest/src/charts.ts --from results/fanout.json [more.json …] --to docs/benchmarks/
 * writes `<name>.svg` into `--to` for each file of a stepped scenario (fanout, rooms,
 * scaleout), and says which files it skipped (idle, send: no steps to chart). The runner
 * itself writes the chart beside its JSON at the end of a run (main.ts).
 */
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { chartPathFor, writeStepChart } from './charts/render.js';

export interface ChartsArgs {
  from: string[];
  to: string;
}

/** `--from a.json b.json … --to dir` (`--from` may also be repeated). */
export function parseChartsArgs(argv: string[]): ChartsArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { from: { type: 'string', multiple: true }, to: { type: 'string' }, help: { type: 'boolean' } },
    allowPositionals: true,
  });
  const usage = 'usage: charts.ts --from <results.json …> --to <directory>';
  if (values.help) throw new Error(usage);
  const from = [...(values.from ?? []), ...positionals];
  if (from.length === 0 || !values.to) throw new Error(`${usage}: --from and --to are required`);
  return { from, to: values.to };
}

/** Writes each file's chart into `to`; returns the paths written and the files skipped. */
export async function renderCharts({ from, to }: ChartsArgs): Promise<{ written: string[]; skipped: string[] }> {
  await mkdir(to, { recursive: true });
  const written: string[] = [];
  const skipped: string[] = [];
  for (const path of from) {
    const out = await writeStepChart(path, join(to, basename(chartPathFor(path))));
    if (out) written.push(out);
    else skipped.push(path);
  }
  return { written, skipped };
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  renderCharts(parseChartsArgs(process.argv.slice(2))).then(
    ({ written, skipped }) => {
      for (const path of written) process.stdout.write(`chart: ${path}\n`);
      for (const path of skipped) process.stdout.write(`skipped (not a stepped scenario): ${path}\n`);
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(2);
    },
  );
}
