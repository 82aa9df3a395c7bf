import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cluster } from './cluster.js';
import { removeOnExit } from './lifetime.js';
import { repoRoot } from './nginx.js';
import { freePort, waitFor, WaitAborted } from './ports.js';
import { startProcess, type ManagedProcess } from './process.js';

/** The alert rules every Prometheus of ours loads (Compose's too). */
export const prometheusRulesPath = join(repoRoot, 'deploy/prometheus/alerts.yml');

/** The scrape jobs, named as in deploy/prometheus/prometheus.yml: the alert rules select on these. */
export const SCRAPE_JOBS = ['api', 'gateway', 'bot-worker'] as const;
export type ScrapeJob = (typeof SCRAPE_JOBS)[number];

/** `host:port` of each replica, by job. */
export type ScrapeTargets = Record<ScrapeJob, string[]>;

/** The targets of a test cluster's processes. */
export function scrapeTargetsOf(cluster: Pick<Cluster, 'api' | 'gateways' | 'workers'>): ScrapeTargets {
  const address = (s: { port: number }): string => `127.0.0.1:${s.port}`;
  return { api: [address(cluster.api)], gateway: cluster.gateways.map(address), 'bot-worker': cluster.workers.map(address) };
}

export interface PrometheusRenderOptions {
  targets: ScrapeTargets;
  /** @default 15 */
  scrapeIntervalSeconds?: number;
  /** @default [prometheusRulesPath] */
  ruleFiles?: string[];
}

/**
 * A Prometheus config with static targets: the same jobs as Compose's DNS discovery
 * (deploy/prometheus/prometheus.yml), for processes on known ports. Strings are written
 * as JSON, which YAML reads as is.
 */
export function renderPrometheusConfig(o: PrometheusRenderOptions): string {
  const interval = `${o.scrapeIntervalSeconds ?? 15}s`;
  const q = (s: string): string => JSON.stringify(s);
  const lines = [
    '# Rendered by packages/testkit/src/prometheus.ts: the jobs of deploy/prometheus/prometheus.yml on static targets.',
    'global:',
    `  scrape_interval: ${interval}`,
    `  scrape_timeout: ${interval}`,
    `  evaluation_interval: ${interval}`,
    'rule_files:',
    ...(o.ruleFiles ?? [prometheusRulesPath]).map((f) => `  - ${q(f)}`),
    'scrape_configs:',
  ];
  for (const job of SCRAPE_JOBS) {
    lines.push(`  - job_name: ${q(job)}`, '    static_configs:', `      - targets: [${o.targets[job].map(q).join(', ')}]`);
  }
  return `${lines.join('\n')}\n`;
}

/** One series of an instant query, its value parsed (NaN and ±Inf included). */
export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

/** What `/api/v1/query` answers in `data`. */
export interface PromQueryData {
  resultType: 'vector' | 'matrix' | 'scalar' | 'string';
  result: unknown;
}

/** A query Prometheus refused: `errorType` is `bad_data` for a PromQL parse error. */
export class PromQueryError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
  ) {
    super(message);
    this.name = 'PromQueryError';
  }
}

export interface PrometheusServer {
  url: string;
  port: number;
  configPath: string;
  process: ManagedProcess;
  /** An instant query; throws `PromQueryError` when Prometheus refuses it. */
  query(expr: string): Promise<PromQueryData>;
  /** An instant query expected to return a vector. */
  vector(expr: string): Promise<PromSample[]>;
  /** Every value a label has in the stored series (`__name__`: every metric name). */
  labelValues(label: string): Promise<string[]>;
  /** Waits until every target has been scraped, and answered, after `since` (so a query sees what was done before it). */
  waitForScrapes(since: Date, timeoutMs?: number): Promise<void>;
  /** Rewrites the config for new targets and has Prometheus reload it. */
  reload(targets: ScrapeTargets): Promise<void>;
  stop(): Promise<void>;
}

export interface StartPrometheusOptions {
  targets: ScrapeTargets;
  /** @default 15 (the tests use 1) */
  scrapeIntervalSeconds?: number;
  port?: number;
  host?: string;
  /** Config and TSDB go here (kept); a temp dir (removed on stop) when omitted. */
  workDir?: string;
  /** @default 'prometheus' on PATH */
  binary?: string;
  logFile?: string;
  echo?: boolean;
}

interface ApiAnswer<T> {
  status: 'success' | 'error';
  data?: T;
  errorType?: string;
  error?: string;
}

interface TargetsData {
  activeTargets: { scrapePool: string; scrapeUrl: string; health: string; lastScrape: string; lastError: string }[];
}

/** Prometheus (Debian's `prometheus`) on a free port, scraping `targets` with deploy/prometheus/alerts.yml loaded. */
export async function startPrometheus(options: StartPrometheusOptions): Promise<PrometheusServer> {
  const ownDir = !options.workDir;
  const dir = options.workDir ?? (await mkdtemp(join(tmpdir(), 'chat-prometheus-')));
  const forgetDir = ownDir ? removeOnExit(dir) : () => undefined;
  await mkdir(join(dir, 'data'), { recursive: true });
  const port = options.port ?? (await freePort());
  const host = options.host ?? '127.0.0.1';
  const url = `http://${host}:${port}`;
  const configPath = join(dir, 'prometheus.yml');
  const render = (targets: ScrapeTargets): string => renderPrometheusConfig({ targets, scrapeIntervalSeconds: options.scrapeIntervalSeconds });
  await writeFile(configPath, render(options.targets));
  const proc = startProcess(
    'prometheus',
    options.binary ?? 'prometheus',
    [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=${host}:${port}`,
      '--log.level=warn',
    ],
    { echo: options.echo, logFile: options.logFile },
  );
  await waitFor(
    `prometheus on ${port}`,
    async () => {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new WaitAborted(`prometheus exited: ${proc.output()}`);
      const res = await fetch(`${url}/-/ready`).catch(() => undefined);
      return res?.ok ?? false;
    },
    30_000,
    100,
  ).catch((err: Error) => {
    proc.kill('SIGKILL');
    throw err;
  });

  const api = async <T>(path: string, params: Record<string, string> = {}): Promise<T> => {
    const res = await fetch(`${url}${path}?${new URLSearchParams(params).toString()}`);
    const body = (await res.json()) as ApiAnswer<T>;
    if (body.status !== 'success' || body.data === undefined) throw new PromQueryError(body.errorType ?? 'unknown', body.error ?? `HTTP ${res.status}`);
    return body.data;
  };
  const query = (expr: string): Promise<PromQueryData> => api<PromQueryData>('/api/v1/query', { query: expr });

  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    configPath,
    process: proc,
    query,
    vector: async (expr) => {
      const data = await query(expr);
      if (data.resultType !== 'vector') throw new Error(`${expr}: a ${data.resultType}, not a vector`);
      return (data.result as { metric: Record<string, string>; value: [number, string] }[]).map((s) => ({ metric: s.metric, value: Number(s.value[1]) }));
    },
    labelValues: (label) => api<string[]>(`/api/v1/label/${encodeURIComponent(label)}/values`),
    waitForScrapes: (since, timeoutMs = 30_000) =>
      waitFor(
        'a scrape of every target',
        async () => {
          const { activeTargets } = await api<TargetsData>('/api/v1/targets', { state: 'active' });
          return activeTargets.length > 0 && activeTargets.every((t) => t.health === 'up' && new Date(t.lastScrape) > since);
        },
        timeoutMs,
        200,
      ),
    reload: async (targets) => {
      await writeFile(configPath, render(targets));
      proc.kill('SIGHUP');
      await waitFor('prometheus to take the new targets', async () => {
        const { activeTargets } = await api<TargetsData>('/api/v1/targets', { state: 'active' });
        const want = new Set(SCRAPE_JOBS.flatMap((job) => targets[job].map((t) => `${job} ${t}`)));
        const have = new Set(activeTargets.map((t) => `${t.scrapePool} ${new URL(t.scrapeUrl).host}`));
        return want.size === have.size && [...want].every((t) => have.has(t));
      });
    },
    stop: () =>
      (stopped ??= (async () => {
        await proc.stop(10_000);
        if (ownDir) await rm(dir, { recursive: true, force: true });
        forgetDir();
      })()),
  };
}
