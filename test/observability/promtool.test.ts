import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderPrometheusConfig, repoRoot } from '@chat/testkit';

const run = promisify(execFile);
const dir = join(repoRoot, 'deploy/prometheus');

interface AlertRule {
  alert: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleTestCase {
  name?: string;
  alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[];
}

/** promtool's exit code and everything it printed. */
async function promtool(...args: string[]): Promise<{ code: number; output: string }> {
  return run('promtool', args, { cwd: dir }).then(
    ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, output: err.stdout + err.stderr }),
  );
}

const alertRules = async (): Promise<AlertRule[]> => {
  const file = parse(await readFile(join(dir, 'alerts.yml'), 'utf8')) as { groups: { rules: AlertRule[] }[] };
  return file.groups.flatMap((g) => g.rules);
};

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'chat-promtool-'));
});
afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('deploy/prometheus with promtool', () => {
  it("accepts Compose's config (DNS discovery of api, gateway and bot-worker) and the rules it loads", async () => {
    const { code, output } = await promtool('check', 'config', 'prometheus.yml');
    expect(output).toContain('SUCCESS');
    expect(code).toBe(0);
  });

  it("accepts the testkit's static config (npm run up, the tests), which loads the same rules", async () => {
    const path = join(scratch, 'prometheus.yml');
    await writeFile(path, renderPrometheusConfig({ targets: { api: ['127.0.0.1:3000'], gateway: ['127.0.0.1:3101', '127.0.0.1:3102'], 'bot-worker': ['127.0.0.1:3201'] } }));
    const { code, output } = await promtool('check', 'config', path);
    expect(output).toMatch(/SUCCESS: \d+ rules found/);
    expect(code).toBe(0);
  });

  it('checks every alert rule', async () => {
    const { code, output } = await promtool('check', 'rules', 'alerts.yml');
    expect(code).toBe(0);
    expect(output).toContain(`SUCCESS: ${(await alertRules()).length} rules found`);
  });

  it('passes the unit tests of every alert (alerts.test.yml)', async () => {
    const { code, output } = await promtool('test', 'rules', 'alerts.test.yml');
    expect(output).toContain('SUCCESS');
    expect(code).toBe(0);
  });

  it('fails a unit test whose expectation the rules do not meet (the tests bite)', async () => {
    await copyFile(join(dir, 'alerts.yml'), join(scratch, 'alerts.yml'));
    const tests = await readFile(join(dir, 'alerts.test.yml'), 'utf8');
    // GatewayDown has `for: 1m`: expecting it one evaluation early must fail.
    const wrong = tests.replace(/- eval_time: 2m\n(\s+)alertname: GatewayDown\n\s+exp_alerts: \[\]/, (_m, indent: string) =>
      `- eval_time: 2m\n${indent}alertname: GatewayDown\n${indent}exp_alerts:\n${indent}  - exp_labels: { severity: critical, job: gateway, instance: 'gw1:3101' }`,
    );
    expect(wrong).not.toBe(tests);
    await writeFile(join(scratch, 'alerts.test.yml'), wrong);
    const { code, output } = await promtool('test', 'rules', join(scratch, 'alerts.test.yml'));
    expect(code).not.toBe(0);
    expect(output).toContain('alertname: GatewayDown, time: 2m');
  });

  it('has, for every alert, a test where it fires and one where it stays quiet', async () => {
    const file = parse(await readFile(join(dir, 'alerts.test.yml'), 'utf8')) as { tests: RuleTestCase[] };
    const checks = file.tests.flatMap((t) => t.alert_rule_test ?? []);
    const names = (await alertRules()).map((r) => r.alert);
    expect(names.length).toBeGreaterThanOrEqual(12);
    const untested = names.filter((name) => !checks.some((c) => c.alertname === name && (c.exp_alerts ?? []).length > 0));
    const neverQuiet = names.filter((name) => !checks.some((c) => c.alertname === name && (c.exp_alerts ?? []).length === 0));
    expect({ untested, neverQuiet }).toEqual({ untested: [], neverQuiet: [] });
    // And no test names an alert that does not exist (a renamed rule would leave it testing nothing).
    expect(checks.map((c) => c.alertname).filter((n) => !names.includes(n))).toEqual([]);
  });

  it('gives every alert a severity, a summary and a one-line runbook', async () => {
    for (const rule of await alertRules()) {
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.runbook, rule.alert).toMatch(/^[^\n]{40,}$/);
    }
  });

  it('covers what the issue asks for: replicas down, readiness, ack p99, unavailable answers, bot queues and failures, presence sweeps, Redis and PostgreSQL', async () => {
    const rules = await alertRules();
    const exprOf = (name: string): string => rules.find((r) => r.alert === name)?.expr ?? '';
    expect(exprOf('GatewayDown')).toContain('up{job="gateway"}');
    expect(exprOf('BotWorkerDown')).toContain('up{job="bot-worker"}');
    expect(exprOf('ServiceNotReady')).toContain('chat_ready');
    expect(exprOf('SendAckLatencyHigh')).toMatch(/histogram_quantile\(0\.99, .*chat_message_send_duration_seconds_bucket/);
    expect(exprOf('SendsAnsweredUnavailable')).toContain('outcome="unavailable"');
    expect(exprOf('BotQueueBacklogGrowing')).toContain('chat_bot_queue_jobs{state="waiting"}');
    expect(exprOf('BotJobsFailing')).toContain('bot_jobs_failed_total{final="true"}');
    expect(exprOf('PresenceDeadReplicaSwept')).toContain('chat_presence_dead_replica_sweeps_total');
    expect(exprOf('RedisUnreachable')).toContain('dependency="redis"');
    expect(exprOf('PostgresUnreachable')).toContain('dependency="postgres"');
  });
});
