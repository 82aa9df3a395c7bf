import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeOnExit, startCluster, startNginx, type Cluster, type NginxServer } from '@chat/testkit';
import { useTestDatabase } from '@chat/testkit/vitest';

/**
 * What the public entry answers for bad input, through the real nginx template in front of a real
 * API and gateway: every answer under /api/ is the contract's error shape, nginx's own included;
 * the web page only for the client's route and its assets; no status page at all.
 */

interface Answer {
  status: number;
  type: string;
  body: string;
}

let cluster: Cluster;
let nginx: NginxServer;
let webRoot: string;
const PAGE = '<!doctype html><title>Chat</title><div id="app"></div><script type="module" src="/assets/index-abc123.js"></script>';

/**
 * A request with the path exactly as written: fetch's URL parser would resolve `..` and `%2e%2e`
 * before nginx ever saw them.
 */
function send(method: string, path: string, body?: Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: nginx.port, method, path, headers: body ? { 'content-type': 'application/json', 'content-length': String(body.length), ...headers } : headers },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '', body: text }));
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

const errorOf = (answer: Answer): unknown => {
  expect(answer.type).toMatch(/^application\/json/);
  return JSON.parse(answer.body);
};

beforeAll(async () => {
  // The page and asset are ours, so what is served does not depend on whether web/ was built.
  webRoot = await mkdtemp(join(tmpdir(), 'chat-web-'));
  removeOnExit(webRoot);
  await mkdir(join(webRoot, 'assets'));
  await writeFile(join(webRoot, 'index.html'), PAGE);
  await writeFile(join(webRoot, 'assets/index-abc123.js'), 'console.log("chat");\n');
  // nginx's workers run as an unprivileged user when the tests run as root.
  await chmod(webRoot, 0o755);
  cluster = await startCluster({ databaseUrl: await useTestDatabase(), gateways: 1, nginx: false });
  const gateway = cluster.gateways[0]!;
  nginx = await startNginx({
    apiAddress: `127.0.0.1:${cluster.api.port}`,
    gateways: [{ replicaId: gateway.env.REPLICA_ID!, address: `127.0.0.1:${gateway.port}` }],
    webRoot,
  });
});
afterAll(async () => {
  await nginx?.stop();
  await cluster?.stop();
  if (webRoot) await rm(webRoot, { recursive: true, force: true });
});

describe('unknown paths under /api/', () => {
  it.each([
    '/api/nope',
    '/api/',
    '/api',
    '/api?x=1',
    '/api/rooms/..%2F..%2Fetc%2Fpasswd',
    '/api/rooms/..%2F..%2Findex.html',
    '/api/..%2F',
    '/api/..%2Fhealth',
    '/api/%2e%2e/metrics',
    '/api/../assets/index-abc123.js',
    '/api/rooms/..%2F..%2Fsocket.io%2F%3FEIO%3D4',
  ])('GET %s → 404 not_found in the error shape, never the web page', async (path) => {
    const answer = await send('GET', path);
    expect(answer.status).toBe(404);
    expect(errorOf(answer)).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
    expect(answer.body).not.toContain('<');
  });

  it.each(['/api/rooms/..%2F..%2F..%2Fetc%2Fpasswd', '/api/../../etc/passwd', '/api/rooms/%zz', '/api/rooms/%00'])(
    'GET %s (a path nginx cannot resolve or decode) → 400 validation in the error shape',
    async (path) => {
      const answer = await send('GET', path);
      expect(answer.status).toBe(400);
      expect(errorOf(answer)).toEqual({ error: { code: 'validation', message: expect.any(String) } });
    },
  );

  it('POST /api/nope with a JSON body → the API’s 404 not_found', async () => {
    const answer = await send('POST', '/api/nope', Buffer.from('{"a":1}'));
    expect(answer.status).toBe(404);
    expect(errorOf(answer)).toEqual({ error: { code: 'not_found', message: 'no route for POST /api/nope' } });
  });
});

describe('bodies too large', () => {
  it('POST /api/auth/register with a 300 KB body (over nginx’s client_max_body_size) → 413 validation "too large" from nginx', async () => {
    const answer = await send('POST', '/api/auth/register', Buffer.alloc(300 * 1024, 'a'));
    expect(answer.status).toBe(413);
    expect(errorOf(answer)).toEqual({ error: { code: 'validation', message: expect.stringContaining('too large') } });
  });

  it('POST /api/auth/register with a 20 KB body (under nginx’s limit, over the API’s) → the API’s 413 in the same shape', async () => {
    const body = Buffer.from(JSON.stringify({ username: 'big_body', password: 'p'.repeat(20 * 1024) }));
    const answer = await send('POST', '/api/auth/register', body);
    expect(answer.status).toBe(413);
    expect(errorOf(answer)).toEqual({ error: { code: 'validation', message: expect.stringContaining('too large') } });
  });

  it('POST /socket.io/ (polling) with a 300 KB body → 413 validation in the error shape', async () => {
    const answer = await send('POST', '/socket.io/?EIO=4&transport=polling&sid=gw1.nope', Buffer.alloc(300 * 1024, 'a'), { 'content-type': 'text/plain' });
    expect(answer.status).toBe(413);
    expect(errorOf(answer)).toEqual({ error: { code: 'validation', message: expect.stringContaining('too large') } });
  });
});

describe('status pages', () => {
  it.each(['/health', '/health/ready', '/metrics', '/metrics/', '/health/..%2Fmetrics'])(
    'GET %s is not served from the public entry: 404 in the error shape',
    async (path) => {
      const answer = await send('GET', path);
      expect(answer.status).toBe(404);
      expect(errorOf(answer)).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
    },
  );

  it('GET /health and /metrics still answer on each service’s own port', async () => {
    for (const service of [cluster.api, cluster.gateways[0]!]) {
      expect((await fetch(`${service.url}/health`)).status).toBe(200);
      expect(await (await fetch(`${service.url}/metrics`)).text()).toContain('process_cpu_seconds_total');
    }
  });
});

describe('the web page', () => {
  it.each(['/', '/?from=mail', '/index.html'])('GET %s → the page (the client’s routes live in the #fragment)', async (path) => {
    const answer = await send('GET', path);
    expect(answer.status).toBe(200);
    expect(answer.type).toMatch(/^text\/html/);
    expect(answer.body).toBe(PAGE);
  });

  it('GET /assets/index-abc123.js → the asset, cached for good', async () => {
    const res = await fetch(`${nginx.url}/assets/index-abc123.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toContain('immutable');
    expect(await res.text()).toBe('console.log("chat");\n');
  });

  it.each(['/rooms/abc', '/login', '/favicon.ico', '/assets/missing.js', '/index.htm', '/nginx.conf', '/.errors/404.json', '/socket.iox'])(
    'GET %s → 404 in plain text, not the web page',
    async (path) => {
      const answer = await send('GET', path);
      expect(answer.status).toBe(404);
      expect(answer.type).toMatch(/^text\/plain/);
      expect(answer.body).toBe('not found\n');
    },
  );

  it('POST / → 405 in plain text', async () => {
    const answer = await send('POST', '/', Buffer.from('{}'));
    expect(answer.status).toBe(405);
    expect(answer.body).toBe('method not allowed\n');
  });
});

// Last: these stop the services behind nginx.
describe('upstreams that are down', () => {
  it('GET /api/rooms with the API stopped → 503 unavailable in the error shape', async () => {
    await cluster.api.stop(2_000);
    const answer = await send('GET', '/api/rooms');
    expect(answer.status).toBe(503);
    expect(errorOf(answer)).toEqual({ error: { code: 'unavailable', message: expect.any(String) } });
  });

  it.each(['/socket.io/?EIO=4&transport=polling', '/socket.io/?EIO=4&transport=polling&sid=gw1.gone'])(
    'GET %s with every gateway stopped → 503 unavailable in the error shape',
    async (path) => {
      await cluster.gateways[0]!.stop(2_000);
      const answer = await send('GET', path);
      expect(answer.status).toBe(503);
      expect(errorOf(answer)).toEqual({ error: { code: 'unavailable', message: expect.any(String) } });
    },
  );
});
