import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, nginxTemplatePath, renderNginxConfig, repoRoot, startProcess, waitFor, type ManagedProcess } from '@chat/testkit';

const run = promisify(execFile);
const entrypoint = join(repoRoot, 'deploy/nginx/docker-entrypoint.sh');
const webRoot = join(repoRoot, 'deploy/nginx/html');

let dir: string;
let n = 0;

/** A fresh run directory (workers may run as another user when the tests run as root). */
async function runDir(): Promise<string> {
  const d = join(dir, `run${++n}`);
  await mkdir(join(d, 'tmp'), { recursive: true });
  await chmod(d, 0o755);
  await chmod(join(d, 'tmp'), 0o777);
  return d;
}

const scriptEnv = (runDirectory: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  NGINX_TEMPLATE: nginxTemplatePath,
  NGINX_RUN_DIR: runDirectory,
  WEB_ROOT: webRoot,
  WORKER_PROCESSES: '1',
  ...extra,
});

/** Something that answers like a gateway replica: /health names its replicaId, anything else names who served it. */
async function startStubGateway(host: string, port: number, replicaId: string): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === '/health') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ status: 'ok', service: 'gateway', replicaId, uptime: 1 }));
    } else {
      res.end(`served-by:${replicaId}`);
    }
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  return server;
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));
const stubs: Server[] = [];
afterEach(async () => {
  await Promise.all(stubs.splice(0).map(close));
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chat-nginx-entrypoint-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('deploy/nginx/docker-entrypoint.sh render', () => {
  it('fills the template exactly as the test harness and `npm run up` do, and nginx accepts it', async () => {
    const d = await runDir();
    const gateways = [
      { replicaId: '0a1b2c3d4e5f-1234abcd', address: '172.18.0.5:3101' },
      { replicaId: '9f8e7d6c5b4a-5678ef01', address: '172.18.0.6:3101' },
      { replicaId: 'gw_3', address: '172.18.0.7:3101' },
    ];
    const list = join(d, 'gateways');
    await writeFile(list, gateways.map((g) => `${g.replicaId} ${g.address}`).join('\n') + '\n');
    const env = scriptEnv(d, { LISTEN: '127.0.0.1:18080', API_ADDRESS: '172.18.0.4:3000' });
    const { stdout } = await run('sh', [entrypoint, 'render', list], { env });

    const expected = renderNginxConfig(await readFile(nginxTemplatePath, 'utf8'), {
      listen: '127.0.0.1:18080',
      apiAddress: '172.18.0.4:3000',
      gateways,
      webRoot,
      tempDir: join(d, 'tmp'),
      pidFile: join(d, 'nginx.pid'),
      errorLog: 'stderr',
      accessLog: 'off',
      workerProcesses: 1,
      mimeTypes: '/etc/nginx/mime.types',
    });
    expect(stdout).toBe(expected);
    expect(stdout).toContain('"~^0a1b2c3d4e5f-1234abcd\\." gateway_0a1b2c3d4e5f_1234abcd;');

    await writeFile(join(d, 'nginx.conf'), stdout);
    await expect(run('nginx', ['-t', '-q', '-p', d, '-c', join(d, 'nginx.conf')])).resolves.toBeDefined();
  });

  it('refuses to render with no gateway or with a placeholder it has no value for', async () => {
    const d = await runDir();
    const empty = join(d, 'empty');
    await writeFile(empty, '');
    await expect(run('sh', [entrypoint, 'render', empty], { env: scriptEnv(d) })).rejects.toMatchObject({ stderr: expect.stringContaining('no gateways') });

    const list = join(d, 'one');
    await writeFile(list, 'gw1 10.0.0.2:3101\n');
    const template = join(d, 'template');
    await writeFile(template, 'listen {{LISTEN}};\nroot {{NOT_A_PLACEHOLDER}};\n');
    await expect(run('sh', [entrypoint, 'render', list], { env: scriptEnv(d, { NGINX_TEMPLATE: template }) })).rejects.toMatchObject({
      stderr: expect.stringContaining('{{NOT_A_PLACEHOLDER}}'),
    });
  });
});

describe('deploy/nginx/docker-entrypoint.sh discover', () => {
  it("lists every replica behind the gateway names by the replicaId from its /health, leaving out one that doesn't answer", async () => {
    const port = await freePort();
    stubs.push(await startStubGateway('127.0.0.2', port, 'gw-b'), await startStubGateway('127.0.0.3', port, 'gw-a'));
    const env = scriptEnv(await runDir(), { GATEWAY_HOSTS: '127.0.0.2 127.0.0.3 127.0.0.4', GATEWAY_PORT: String(port) });
    const { stdout, stderr } = await run('sh', [entrypoint, 'discover'], { env });
    expect(stdout).toBe(`gw-a 127.0.0.3:${port}\ngw-b 127.0.0.2:${port}\n`);
    expect(stderr).toContain(`gateway 127.0.0.4:${port} did not answer`);
  });
});

describe('deploy/nginx/docker-entrypoint.sh (the container command)', () => {
  let script: ManagedProcess | undefined;
  afterEach(async () => {
    script?.kill('SIGTERM');
    await script?.exited;
  });

  it('routes each session to its replica, follows replicas as they come and go, and stops nginx gracefully', async () => {
    const gatewayPort = await freePort();
    const listenPort = await freePort();
    const d = await runDir();
    stubs.push(await startStubGateway('127.0.0.2', gatewayPort, 'gw-a'), await startStubGateway('127.0.0.3', gatewayPort, 'gw-b'));
    script = startProcess('chat-nginx', 'sh', [entrypoint], {
      env: scriptEnv(d, {
        LISTEN: `127.0.0.1:${listenPort}`,
        API_ADDRESS: `127.0.0.1:${await freePort()}`,
        GATEWAY_HOSTS: '127.0.0.2 127.0.0.3 127.0.0.4',
        GATEWAY_PORT: String(gatewayPort),
        DISCOVERY_INTERVAL: '0.2',
      }),
    });
    const url = `http://127.0.0.1:${listenPort}`;
    const servedBy = async (sid?: string): Promise<string> => {
      const res = await fetch(`${url}/socket.io/?EIO=4&transport=polling${sid ? `&sid=${sid}` : ''}`);
      return res.text();
    };
    await waitFor('nginx from the entrypoint', async () => (await fetch(`${url}/nginx-health`).catch(() => undefined))?.ok ?? false, 20_000);

    expect(await servedBy('gw-a.s1')).toBe('served-by:gw-a');
    expect(await servedBy('gw-b.s2')).toBe('served-by:gw-b');
    const fresh = new Set(await Promise.all(Array.from({ length: 6 }, () => servedBy())));
    expect([...fresh].every((s) => s === 'served-by:gw-a' || s === 'served-by:gw-b')).toBe(true);

    // A replica started later (docker compose up --scale gateway=3) is found and routed to.
    stubs.push(await startStubGateway('127.0.0.4', gatewayPort, 'gw-c'));
    await waitFor('gw-c routed', async () => (await servedBy('gw-c.s3')) === 'served-by:gw-c', 20_000, 100);
    expect(script.output()).toContain('reloaded with 3 gateway(s)');

    // A replica that goes away leaves the config; its sessions fall back to the pool.
    await close(stubs.shift()!);
    await waitFor('gw-a sessions served by the others', async () => ['served-by:gw-b', 'served-by:gw-c'].includes(await servedBy('gw-a.s1')), 20_000, 100);
    expect(await readFile(join(d, 'nginx.conf'), 'utf8')).not.toContain('gateway_gw_a');
    expect(await servedBy('gw-b.s2')).toBe('served-by:gw-b');

    script.kill('SIGTERM');
    expect(await script.exited).toBe(0);
    await expect(fetch(`${url}/nginx-health`)).rejects.toThrow();
  });
});
