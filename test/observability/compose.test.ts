import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot, SCRAPE_JOBS } from '@chat/testkit';
import { commandOf, dependsOn, loadCompose, serviceEnv, testVariables, type ComposeService } from '../deploy/support/compose.js';

const readYaml = async <T>(path: string): Promise<T> => parse(await readFile(join(repoRoot, path), 'utf8')) as T;

interface PrometheusConfig {
  rule_files: string[];
  scrape_configs: { job_name: string; dns_sd_configs?: { names: string[]; type: string; port: number }[] }[];
}

/** `./host/path:/container/path[:ro]` bind mounts of a service, container path → repo-relative host path. */
function bindMounts(svc: ComposeService): Map<string, string> {
  const mounts = new Map<string, string>();
  for (const volume of svc.volumes ?? []) {
    if (typeof volume !== 'string' || !volume.startsWith('./')) continue;
    const [host, target] = volume.split(':');
    mounts.set(target!, posix.normalize(host!));
  }
  return mounts;
}

/** The host file behind a container path, through a file or a directory mount. */
function hostPathOf(svc: ComposeService, containerPath: string): string | undefined {
  for (const [target, host] of bindMounts(svc)) {
    if (containerPath === target) return host;
    if (containerPath.startsWith(`${target}/`)) return posix.join(host, containerPath.slice(target.length + 1));
  }
  return undefined;
}

const service = async (name: string): Promise<ComposeService> => {
  const svc = (await loadCompose()).services[name];
  if (!svc) throw new Error(`docker-compose.yml has no service ${name}`);
  return svc;
};

describe('the observability profile of docker-compose.yml', () => {
  it("gives Prometheus deploy/prometheus's config and every rule file it names, at the paths it reads them from", async () => {
    const prometheus = await service('prometheus');
    const command = commandOf(prometheus);
    const configPath = command.find((a) => a.startsWith('--config.file='))?.slice('--config.file='.length);
    expect(configPath).toBe('/etc/prometheus/prometheus.yml');
    expect(hostPathOf(prometheus, configPath!)).toBe('deploy/prometheus/prometheus.yml');
    const config = await readYaml<PrometheusConfig>('deploy/prometheus/prometheus.yml');
    for (const rules of config.rule_files) {
      const host = hostPathOf(prometheus, posix.join('/etc/prometheus', rules));
      expect(host, rules).toBeDefined();
      expect(existsSync(join(repoRoot, host!)), host).toBe(true);
    }
    expect(config.rule_files).toEqual(['alerts.yml']);
    expect(prometheus.volumes).toContain('prometheus-data:/prometheus');
  });

  it('scrapes every replica of api, gateway and bot-worker by their compose names and ports, under the job names the rules use', async () => {
    const config = await readYaml<PrometheusConfig>('deploy/prometheus/prometheus.yml');
    for (const job of SCRAPE_JOBS) {
      const scrape = config.scrape_configs.find((s) => s.job_name === job);
      expect(scrape?.dns_sd_configs, job).toEqual([{ names: [job], type: 'A', port: Number(serviceEnv(await service(job)).PORT), refresh_interval: '15s' }]);
    }
    const rules = await readFile(join(repoRoot, 'deploy/prometheus/alerts.yml'), 'utf8');
    const jobsInRules = new Set([...rules.matchAll(/job="([^"]+)"/g)].map((m) => m[1]!));
    expect([...jobsInRules].filter((job) => !(SCRAPE_JOBS as readonly string[]).includes(job))).toEqual([]);
  });

  it("points Grafana's provisioned data source at the prometheus service, and loads the dashboard from the mounted folder", async () => {
    const grafana = await service('grafana');
    expect(dependsOn(grafana)).toEqual({ prometheus: 'service_healthy' });
    expect(hostPathOf(grafana, '/etc/grafana/provisioning')).toBe('deploy/grafana/provisioning');

    const sources = await readYaml<{ datasources: { uid: string; type: string; url: string }[] }>('deploy/grafana/provisioning/datasources/prometheus.yml');
    const listen = commandOf(await service('prometheus')).find((a) => a.startsWith('--web.listen-address='));
    expect(listen).toBe('--web.listen-address=:9090');
    expect(sources.datasources).toEqual([expect.objectContaining({ uid: 'prometheus', type: 'prometheus', url: 'http://prometheus:9090' })]);

    const providers = await readYaml<{ providers: { options: { path: string } }[] }>('deploy/grafana/provisioning/dashboards/chat.yml');
    const folder = providers.providers[0]!.options.path;
    expect(hostPathOf(grafana, folder)).toBe('deploy/grafana/dashboards');
    const home = serviceEnv(grafana).GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH!;
    expect(existsSync(join(repoRoot, hostPathOf(grafana, home) ?? 'missing'))).toBe(true);

    // The dashboard's data source variable defaults to that uid, and every panel goes through the variable.
    const dashboard = await readYaml<{ templating: { list: { name: string; current: { value: string } }[] }; panels: { type: string; datasource?: { uid: string } }[] }>(
      'deploy/grafana/dashboards/chat-cluster.json',
    );
    expect(dashboard.templating.list.find((v) => v.name === 'datasource')?.current.value).toBe('prometheus');
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) expect(panel.datasource?.uid).toBe('${datasource}');
  });

  it('health-checks Prometheus and Grafana on the ports they listen on', async () => {
    expect((await service('prometheus')).healthcheck?.test).toEqual(['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:9090/-/ready']);
    expect((await service('grafana')).healthcheck?.test).toEqual(['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:3000/api/health']);
    expect((await service('grafana')).ports).toEqual(['127.0.0.1:3000:3000']);
    expect((await loadCompose({ ...testVariables, GRAFANA_PORT: '3300' })).services.grafana?.ports).toEqual(['127.0.0.1:3300:3000']);
  });
});
