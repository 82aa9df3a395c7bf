import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
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

interface StubGateway extends Server {
  /** What its /health/ready answers: 200 when true, 503 when false (Redis down, shutting down). */
  ready: boolean;
}

/**
 * Something that answers like a gateway replica: /health names its replicaId (200 even
 * when not ready, as a stopping gateway does), /health/ready follows `ready`, anything
 * else names who served it and the forwarded headers it got.
 */
async function startStubGateway(host: string, port: number, replicaId: string, ready = true): Promise<StubGateway> {
  const server = createServer((req, res) => {
    if (req.url === '/health') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ status: stub.ready ? 'ok' : 'stopping', service: 'gateway', replicaId, uptime: 1 }));
    } else if (req.url === '/health/ready') {
      res.statusCode = stub.ready ? 200 : 503;
      res.end(JSON.stringify({ status: stub.ready ? 'ready' : 'unavailable', replicaId }));
    } else {
      res.end(`served-by:${replicaId} for:${req.headers['x-forwarded-for']} proto:${req.headers['x-forwarded-proto']}`);
    }
  });
  const stub = Object.assign(server, { ready });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  return stub;
}

/** A GET from a chosen local address, with extra headers; resolves to the body. */
function getFrom(localAddress: string, url: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve(body));
    });
    req.once('error', reject).end();
  });
}

/** The awks the entrypoint may meet: this machine's, and mawk (Debian's default, in the nginx image). */
async function awkPaths(d: string): Promise<string[]> {
  const paths = [process.env.PATH ?? ''];
  if (existsSync('/usr/bin/mawk')) {
    await mkdir(join(d, 'mawk-bin'));
    await symlink('/usr/bin/mawk', join(d, 'mawk-bin/awk'));
    paths.push(`${join(d, 'mawk-bin')}:${process.env.PATH ?? ''}`);
  }
  return paths;
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
  const cases = [
    { name: 'every replica ready, no proxy in front', ready: [true, true, true], realIpFrom: [] as string[], pool: [5, 6, 7] },
    { name: 'one replica not ready, trusted proxies', ready: [true, false, true], realIpFrom: ['10.0.0.0/8', '192.168.1.7', 'fd00::/8'], pool: [5, 7] },
    { name: 'no replica ready', ready: [false, false, false], realIpFrom: ['172.16.0.0/12'], pool: [5, 6, 7] },
  ];
  it.each(cases)('fills the template exactly as the test harness and `npm run up` do, and nginx accepts it: $name', async ({ ready, realIpFrom, pool }) => {
    const d = await runDir();
    const gateways = [
      { replicaId: '0a1b2c3d4e5f-1234abcd', address: '172.18.0.5:3101' },
      { replicaId: '9f8e7d6c5b4a-5678ef01', address: '172.18.0.6:3101' },
      { replicaId: 'gw_3', address: '172.18.0.7:3101' },
    ].map((g, i) => ({ ...g, ready: ready[i]! }));
    const list = join(d, 'gateways');
    // The third field is optional: a line without one is a ready replica.
    await writeFile(list, gateways.map((g) => `${g.replicaId} ${g.address}${g.ready ? (g.replicaId === 'gw_3' ? '' : ' ready') : ' unready'}`).join('\n') + '\n');
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
      realIpFrom,
    });
    for (const PATH of await awkPaths(d)) {
      const env = scriptEnv(d, { PATH, LISTEN: '127.0.0.1:18080', API_ADDRESS: '172.18.0.4:3000', REAL_IP_FROM: realIpFrom.join(' ') });
      const { stdout } = await run('sh', [entrypoint, 'render', list], { env });
      expect(stdout, PATH).toBe(expected);
    }

    // Every replica keeps its sessions' route; the new-session pool holds the ready ones.
    for (const g of gateways) expect(expected).toContain(`"~^${g.replicaId}\\." gateway_${g.replicaId.replace(/-/g, '_')};`);
    const poolBlock = /upstream gateways \{([^}]*)\}/.exec(expected)?.[1] ?? '';
    expect([...poolBlock.matchAll(/server 172\.18\.0\.(\d+):3101/g)].map((m) => Number(m[1]))).toEqual(pool);
    for (const a of realIpFrom) expect(expected).toContain(`set_real_ip_from ${a};`);
    expect(expected.includes('real_ip_header X-Forwarded-For;')).toBe(realIpFrom.length > 0);

    await writeFile(join(d, 'nginx.conf'), expected);
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

    await expect(run('sh', [entrypoint, 'render', list], { env: scriptEnv(d, { REAL_IP_FROM: '10.0.0.0/8 proxy.example' }) })).rejects.toMatchObject({
      stderr: expect.stringContaining('REAL_IP_FROM: not an address or CIDR: proxy.example'),
    });
    const bad = join(d, 'bad');
    await writeFile(bad, 'gw1 10.0.0.2:3101 maybe\n');
    await expect(run('sh', [entrypoint, 'render', bad], { env: scriptEnv(d) })).rejects.toMatchObject({ stderr: expect.stringContaining('bad gateway line') });
  });
});

describe('deploy/nginx/docker-entrypoint.sh discover', () => {
  it("lists every replica behind the gateway names by the replicaId from its /health and whether /health/ready answers 200, leaving out one that doesn't answer", async () => {
    const port = await freePort();
    stubs.push(await startStubGateway('127.0.0.2', port, 'gw-b', false), await startStubGateway('127.0.0.3', port, 'gw-a'));
    const env = scriptEnv(await runDir(), { GATEWAY_HOSTS: '127.0.0.2 127.0.0.3 127.0.0.4', GATEWAY_PORT: String(port) });
    const { stdout, stderr } = await run('sh', [entrypoint, 'discover'], { env });
    expect(stdout).toBe(`gw-a 127.0.0.3:${port} ready\ngw-b 127.0.0.2:${port} unready\n`);
    expect(stderr).toContain(`gateway 127.0.0.4:${port} did not answer`);
  });
});

describe('deploy/nginx/docker-entrypoint.sh (the container command)', () => {
  let script: ManagedProcess | undefined;
  afterEach(async () => {
    script?.kill('SIGTERM');
    await script?.exited;
  });

  /** Starts the entrypoint as the container does, for gateways on 127.0.0.2–4; resolves once nginx answers. */
  async function startEntrypoint(gatewayPort: number, extra: Record<string, string> = {}) {
    const listenPort = await freePort();
    const d = await runDir();
    script = startProcess('chat-nginx', 'sh', [entrypoint], {
      env: scriptEnv(d, {
        LISTEN: `127.0.0.1:${listenPort}`,
        API_ADDRESS: `127.0.0.1:${await freePort()}`,
        GATEWAY_HOSTS: '127.0.0.2 127.0.0.3 127.0.0.4',
        GATEWAY_PORT: String(gatewayPort),
        DISCOVERY_INTERVAL: '0.2',
        ...extra,
      }),
    });
    const url = `http://127.0.0.1:${listenPort}`;
    const servedBy = async (sid?: string): Promise<string> => {
      const res = await fetch(`${url}/socket.io/?EIO=4&transport=polling${sid ? `&sid=${sid}` : ''}`);
      return (await res.text()).split(' ')[0]!;
    };
    await waitFor('nginx from the entrypoint', async () => (await fetch(`${url}/nginx-health`).catch(() => undefined))?.ok ?? false, 20_000);
    return { d, url, servedBy, script };
  }

  it('routes each session to its replica, follows replicas as they come and go, and stops nginx gracefully', async () => {
    const gatewayPort = await freePort();
    stubs.push(await startStubGateway('127.0.0.2', gatewayPort, 'gw-a'), await startStubGateway('127.0.0.3', gatewayPort, 'gw-b'));
    const { d, url, servedBy, script } = await startEntrypoint(gatewayPort);

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

  it('gives new sessions only to replicas whose /health/ready answers 200, and still routes the sessions of one that is not ready', async () => {
    const gatewayPort = await freePort();
    const [a, b] = [await startStubGateway('127.0.0.2', gatewayPort, 'gw-a'), await startStubGateway('127.0.0.3', gatewayPort, 'gw-b')];
    stubs.push(a, b);
    const { servedBy, script } = await startEntrypoint(gatewayPort);
    const fresh = async (n: number): Promise<string[]> => {
      const seen: string[] = [];
      for (let i = 0; i < n; i++) seen.push(await servedBy());
      return seen;
    };
    expect(new Set(await fresh(6))).toEqual(new Set(['served-by:gw-a', 'served-by:gw-b']));

    // gw-b is shutting down (or lost Redis): /health still answers, /health/ready does not.
    b.ready = false;
    await waitFor('gw-b out of the pool', async () => script.output().includes('gw-b(unready)'), 20_000, 100);
    // The reload is graceful: old workers may answer for a moment after the log line.
    await waitFor('the reload in effect', async () => (await fresh(4)).every((s) => s === 'served-by:gw-a'), 20_000, 100);
    expect(new Set(await fresh(8))).toEqual(new Set(['served-by:gw-a']));
    expect(await servedBy('gw-b.s2')).toBe('served-by:gw-b');

    b.ready = true;
    await waitFor('gw-b back in the pool', async () => (await fresh(2)).includes('served-by:gw-b'), 20_000, 100);
  });

  it('takes the client address and scheme from X-Forwarded-For/-Proto only on connections from REAL_IP_FROM', async () => {
    const gatewayPort = await freePort();
    const apiPort = await freePort();
    stubs.push(await startStubGateway('127.0.0.2', gatewayPort, 'gw-a'), await startStubGateway('127.0.0.1', apiPort, 'api'));
    const { url } = await startEntrypoint(gatewayPort, { API_ADDRESS: `127.0.0.1:${apiPort}`, REAL_IP_FROM: '127.0.0.5/32, 10.0.0.0/8' });
    const forwarded = { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' };
    for (const path of ['/api/auth/login', '/socket.io/?EIO=4&transport=polling&sid=gw-a.s1']) {
      // From the trusted proxy: its view of the client and of TLS is passed on.
      expect(await getFrom('127.0.0.5', `${url}${path}`, forwarded), path).toMatch(/ for:203\.0\.113\.9 proto:https$/);
      // A client may prepend addresses of its own; the one the proxy saw is still the one used.
      expect(await getFrom('127.0.0.5', `${url}${path}`, { ...forwarded, 'x-forwarded-for': '198.51.100.1, 203.0.113.9' }), path).toMatch(/ for:203\.0\.113\.9 /);
      expect(await getFrom('127.0.0.5', `${url}${path}`, { 'x-forwarded-proto': 'gopher' }), path).toMatch(/ for:127\.0\.0\.5 proto:http$/);
      // From anyone else the headers are ignored: nginx's own view, overwritten.
      expect(await getFrom('127.0.0.1', `${url}${path}`, forwarded), path).toMatch(/ for:127\.0\.0\.1 proto:http$/);
    }
  });
});
