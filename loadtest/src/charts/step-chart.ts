import type { TopLevelSpec } from 'vega-lite';

/** The scenarios that step the send rate up: each step is one point of the chart. */
export const STEPPED_SCENARIOS: ReadonlySet<string> = new Set(['fanout', 'rooms', 'scaleout']);

/** The part of a results file (report.ts `writeResults`) a chart reads. */
export interface ResultsFile {
  date?: string;
  commit?: string;
  options?: { scenario?: string; rooms?: number; roomSize?: number; gateways?: number; redisShards?: number; maxP99Ms?: number; direct?: boolean };
  results: { scenario: string; target: string; rows: Record<string, unknown>[] }[];
}

/** One step of one target. */
export interface StepPoint {
  target: string;
  /** The step's target rate (messages sent per second). */
  rate: number;
  /** Messages actually sent per second. */
  sent: number;
  delivered: number;
  p99: number;
  /** `clean` when no limit was hit (the runner's note is `ok`), else `limit hit`. */
  step: 'clean' | 'limit hit';
  note: string;
}

const TARGET_ORDER = ['ours', 'baseline'];
const TARGET_COLORS = ['#1565c0', '#e65100'];
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Reads a parsed results file; throws naming what is missing. */
export function asResultsFile(value: unknown, source: string): ResultsFile {
  const file = value as Partial<ResultsFile> | null;
  if (!file || !Array.isArray(file.results)) throw new Error(`${source}: not a load-test results file (no "results" array)`);
  return file as ResultsFile;
}

/**
 * The steps of every target, in rate order. A scale-out step has a row per gateway; the
 * step's figures are on its first row only (the one with `rate/s`).
 */
export function stepPoints(file: ResultsFile): StepPoint[] {
  return file.results.flatMap((result) =>
    result.rows.flatMap((row): StepPoint[] => {
      const rate = num(row['rate/s']);
      const sent = num(row['sent/s']);
      const delivered = num(row['delivered/s']);
      const p99 = num(row['p99 ms']);
      if (rate === undefined || sent === undefined || delivered === undefined || p99 === undefined) return [];
      const note = typeof row.note === 'string' ? row.note : '';
      return [{ target: result.target, rate, sent, delivered, p99, step: note === 'ok' ? 'clean' : 'limit hit', note }];
    }),
  );
}

/** What the run was, for the chart's title. */
function describeRun(file: ResultsFile, scenario: string): { title: string; subtitle: string[] } {
  const o = file.options ?? {};
  const rooms = o.rooms !== undefined && o.roomSize !== undefined ? `${o.rooms} rooms × ${o.roomSize} sockets` : '';
  const titles: Record<string, string> = {
    fanout: `Fan-out: ${rooms}`,
    rooms: `Many small rooms: ${rooms}`,
    scaleout: `Scale-out: ${rooms} on half of ${o.gateways ?? '?'} gateways, as many quiet`,
  };
  const setup = [
    `${o.gateways ?? '?'} gateways${o.direct ? ' (sockets straight to them)' : ' behind nginx'}`,
    o.redisShards && o.redisShards > 1 ? `a Redis Cluster of ${o.redisShards} masters` : 'one Redis',
    o.maxP99Ms !== undefined ? `p99 bound ${o.maxP99Ms} ms` : '',
    file.commit ? `commit ${file.commit}` : '',
    file.date ? file.date.slice(0, 10) : '',
  ].filter(Boolean);
  return {
    title: titles[scenario] ?? scenario,
    subtitle: [setup.join(' · '), 'Filled: a clean step. Hollow: a limit hit (p99 over the bound, loss, out of order, errors…).'],
  };
}

/**
 * Delivered messages per second and delivery p99 against the send rate, one line per
 * target (ours beside the baseline), or undefined when the file has no stepped scenario.
 */
export function stepChartSpec(file: ResultsFile): TopLevelSpec | undefined {
  const scenario = file.results.find((r) => STEPPED_SCENARIOS.has(r.scenario))?.scenario;
  if (!scenario) return undefined;
  const points = stepPoints({ ...file, results: file.results.filter((r) => r.scenario === scenario) });
  if (points.length === 0) return undefined;
  const targets = [...new Set(points.map((p) => p.target))].sort((a, b) => rank(a) - rank(b));
  const colors = targets.map((t) => TARGET_COLORS[TARGET_ORDER.indexOf(t)] ?? '#616161');
  const bound = file.options?.maxP99Ms;
  const maxP99 = Math.max(...points.map((p) => p.p99));
  // The bound is drawn when it sits near the data; a loose one (2 s) would flatten every line.
  const showBound = bound !== undefined && bound <= 2 * maxP99;
  const { title, subtitle } = describeRun(file, scenario);

  const x = { field: 'sent', type: 'quantitative', title: 'messages sent per second', axis: { format: ',d' }, scale: { zero: true } } as const;
  const color = { field: 'target', type: 'nominal', title: 'system', scale: { domain: targets, range: colors }, sort: targets } as const;
  // The baseline dashed: where both deliver the same, the lines lie on each other and both still show.
  const dashes = targets.map((t) => (t === 'ours' ? [1, 0] : [6, 3]));
  const strokeDash = { field: 'target', type: 'nominal', title: 'system', scale: { domain: targets, range: dashes }, sort: targets } as const;
  // Ours drawn last, so it lies on top; the baseline's points are larger, so a ring shows around ours where they meet.
  const others = { filter: "datum.target !== 'ours'" };
  const ours = { filter: "datum.target === 'ours'" };
  const line = (field: 'delivered' | 'p99', filter: object) => ({
    transform: [filter],
    mark: { type: 'line', strokeWidth: 2 },
    encoding: { x, y: { field, type: 'quantitative' }, color, strokeDash, order: { field: 'sent' } },
  });
  const markers = (field: 'delivered' | 'p99', filter: object, size: number) => ({
    transform: [filter],
    mark: { type: 'point', size, strokeWidth: 2, opacity: 1 },
    encoding: {
      x,
      y: { field, type: 'quantitative' },
      color,
      fill: { condition: { test: "datum.step === 'clean'", field: 'target', type: 'nominal', scale: { domain: targets, range: colors } }, value: 'white' },
    },
  });
  const lineAndPoints = (field: 'delivered' | 'p99') => [line(field, others), line(field, ours), markers(field, others, 130), markers(field, ours, 60)];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle, anchor: 'start', fontSize: 15, subtitleFontSize: 11, subtitleColor: '#555' },
    data: { values: points },
    config: {
      font: 'DejaVu Sans, Helvetica, Arial, sans-serif',
      view: { stroke: '#ddd' },
      axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', gridColor: '#eee' },
      legend: { labelFontSize: 12, titleFontSize: 12, orient: 'top', symbolType: 'stroke', symbolStrokeWidth: 2, symbolSize: 300 },
    },
    hconcat: [
      {
        width: 380,
        height: 260,
        title: { text: 'Messages delivered per second', fontSize: 13 },
        layer: lineAndPoints('delivered').map((l) => withY(l, { title: 'delivered per second', axis: { format: ',d' } })),
      },
      {
        width: 380,
        height: 260,
        title: { text: 'Delivery latency, p99', fontSize: 13 },
        layer: [
          ...lineAndPoints('p99').map((l) => withY(l, { title: 'p99 (ms)', scale: { zero: true } })),
          ...(showBound
            ? [
                { data: { values: [{ bound }] }, mark: { type: 'rule', strokeDash: [6, 4], color: '#b71c1c' }, encoding: { y: { field: 'bound', type: 'quantitative' } } },
                {
                  data: { values: [{ bound, label: `p99 bound ${bound} ms` }] },
                  mark: { type: 'text', align: 'left', dx: 4, dy: -7, color: '#b71c1c', fontSize: 11 },
                  encoding: { y: { field: 'bound', type: 'quantitative' }, x: { value: 0 }, text: { field: 'label' } },
                },
              ]
            : []),
        ],
      },
    ],
    resolve: { scale: { color: 'shared' } },
  } as TopLevelSpec;
}

const rank = (target: string): number => (TARGET_ORDER.includes(target) ? TARGET_ORDER.indexOf(target) : TARGET_ORDER.length);

/** A layer with more of its y encoding set (title, axis, scale). */
function withY<L extends { encoding: { y: object } }>(layer: L, y: object): L {
  return { ...layer, encoding: { ...layer.encoding, y: { ...layer.encoding.y, ...y } } };
}
