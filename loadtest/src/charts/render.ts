import { readFile, writeFile } from 'node:fs/promises';
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { asResultsFile, stepChartSpec, type ResultsFile } from './step-chart.js';

/** A Vega-Lite spec rendered to SVG in Node: Vega's headless view, no browser and no canvas. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The chart of a results file as SVG, or undefined when its scenario is not a stepped one (idle, send). */
export async function stepChartSvg(file: ResultsFile): Promise<string | undefined> {
  const spec = stepChartSpec(file);
  return spec ? renderSvg(spec) : undefined;
}

/** `x.json` → `x.svg` (a name without .json gets .svg added). */
export const chartPathFor = (jsonPath: string): string => (jsonPath.endsWith('.json') ? `${jsonPath.slice(0, -'.json'.length)}.svg` : `${jsonPath}.svg`);

/**
 * Reads a results file and writes its chart to `to` (default: beside it, `<name>.svg`);
 * returns the path written, or undefined when the scenario has no steps to chart.
 */
export async function writeStepChart(jsonPath: string, to = chartPathFor(jsonPath)): Promise<string | undefined> {
  const file = asResultsFile(JSON.parse(await readFile(jsonPath, 'utf8')), jsonPath);
  const svg = await stepChartSvg(file);
  if (svg === undefined) return undefined;
  await writeFile(to, svg);
  return to;
}
