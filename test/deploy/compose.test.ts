import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadApiConfig, loadGatewayConfig, loadWorkerConfig, type Env } from '@chat/runtime';
import { repoRoot } from '@chat/testkit';
import {
  buildOf,
  commandOf,
  dependsOn,
  interpolate,
  loadCompose,
  loadRawCompose,
  readComposeText,
  serviceEnv,
  testVariables,
  type ComposeService,
} from './support/compose.js';
import { execForm, finalImage, lastInstruction, parseCopy, readDockerfile } from './support/dockerfile.js';

/** Every Node service's image comes from one Dockerfile, SERVICE naming the service. */
const serviceDockerfile = 'deploy/service/Dockerfile';
const nodeServices = {
  api: { load: loadApiConfig, port: 3000 },
  gateway: { load: loadGatewayConfig, port: 3101 },
  'bot-worker': { load: loadWorkerConfig, port: 3201 },
} as const satisfies Record<string, { load: (env: Env) => object; port: number }>;
type NodeServiceName = keyof typeof nodeServices;
const nodeServiceNames = Object.keys(nodeServices) as NodeServiceName[];

/** The image compose builds for a service: its Dockerfile parsed with its build arguments. */
const imageOf = async (svc: ComposeService) => {
  const build = buildOf(svc);
  if (!build) throw new Error('the service has no build');
  return finalImage(await readDockerfile(build.dockerfile, build.args));
};

const service = async (name: string): Promise<ComposeService> => {
  const compose = await loadCompose();
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};

describe('docker-compose.yml', () => {
  it('runs nginx, api, gateway, bot-worker, the migrate one-shot, redis and postgres, a Redis Cluster only in its profile, Prometheus and Grafana only in theirs', async () => {
    const compose = await loadCompose();
    const byDefault = Object.entries(compose.services).filter(([, svc]) => svc.profiles === undefined);
    expect(byDefault.map(([name]) => name).sort()).toEqual(['api', 'bot-worker', 'gateway', 'migrate', 'nginx', 'postgres', 'redis']);
    const inProfile = Object.entries(compose.services).filter(([, svc]) => svc.profiles !== undefined);
    expect(inProfile.map(([name, svc]) => [name, svc.profiles])).toEqual([
      ...['redis-1', 'redis-2', 'redis-3', 'redis-cluster-init'].map((name) => [name, ['redis-cluster']]),
      ...['prometheus', 'grafana'].map((name) => [name, ['observability']]),
    ]);
  });

  it('forms, in the redis-cluster profile, three masters that keep AOF and noeviction, announce their hostnames and hold their data on volumes', async () => {
    const compose = await loadRawCompose();
    for (const name of ['redis-1', 'redis-2', 'redis-3']) {
      const command = commandOf(await service(name));
      const option = (flag: string) => command[command.indexOf(flag) + 1];
      expect(command[0], name).toBe('redis-server');
      expect([option('--cluster-enabled'), option('--appendonly'), option('--maxmemory-policy')], name).toEqual(['yes', 'yes', 'noeviction']);
      expect([option('--cluster-announce-hostname'), option('--cluster-preferred-endpoint-type')], name).toEqual([name, 'hostname']);
      expect((await service(name)).volumes, name).toEqual([`${name}-data:/data`]);
      expect(Object.keys(compose.volumes ?? {}), name).toContain(`${name}-data`);
    }
    const init = await service('redis-cluster-init');
    const script = commandOf(init).join(' ');
    expect(script).toMatch(/redis-cli --cluster create .*redis-1.*redis-2.*redis-3.* --cluster-yes/);
    // Formed once: a later run finds cluster_state:ok and exits 0.
    expect(script).toMatch(/^redis-cli -h redis-1 cluster info \| grep -q cluster_state:ok && exit 0;/);
    expect(init.restart).toBe('no');
    expect(dependsOn(init)).toEqual({ 'redis-1': 'service_healthy', 'redis-2': 'service_healthy', 'redis-3': 'service_healthy' });
    // The services wait for it when the profile is on, and need nothing of it when it is off.
    for (const name of nodeServiceNames) {
      const deps = (await service(name)).depends_on as Record<string, { condition?: string; required?: boolean }>;
      expect(deps['redis-cluster-init'], name).toEqual({ condition: 'service_completed_successfully', required: false });
    }
  });

  it('puts every Node service on the Redis Cluster when REDIS_CLUSTER_NODES is set, and on the single Redis when it is not', async () => {
    const nodes = 'redis-1:6379,redis-2:6379,redis-3:6379';
    const onCluster = await loadCompose({ ...testVariables, REDIS_CLUSTER_NODES: nodes });
    for (const name of nodeServiceNames) {
      const config = nodeServices[name].load(serviceEnv(onCluster.services[name]!)) as { redis: { clusterNodes?: string[] } };
      expect(config.redis.clusterNodes, name).toEqual(nodes.split(','));
      const single = nodeServices[name].load(serviceEnv(await service(name))) as { redis: { url: string; clusterNodes?: string[] } };
      expect(single.redis, name).toEqual({ url: 'redis://redis:6379', clusterNodes: undefined });
    }
  });

  it('builds every image from the repo root with a Dockerfile that exists, or pins a versioned image', async () => {
    const compose = await loadCompose();
    for (const [name, svc] of Object.entries(compose.services)) {
      const build = buildOf(svc);
      if (build) {
        expect(build.context, `${name} build context`).toBe('.');
        expect(existsSync(join(repoRoot, build.dockerfile)), `${name}: ${build.dockerfile} exists`).toBe(true);
      } else {
        expect(svc.image, `${name} has a build or an image`).toMatch(/^[a-z0-9./-]+:v?\d[\w.-]*$/);
      }
    }
    for (const name of nodeServiceNames) {
      expect(buildOf(await service(name)), name).toEqual({ context: '.', dockerfile: serviceDockerfile, args: { SERVICE: name } });
    }
  });

  it('starts each Node service with node dist/main.js, as its Dockerfile does', async () => {
    for (const name of nodeServiceNames) {
      expect(commandOf(await service(name)), name).toEqual(['node', 'dist/main.js']);
      const cmd = lastInstruction(await imageOf(await service(name)), 'CMD');
      expect(execForm(cmd?.args ?? ''), `${name} Dockerfile CMD`).toEqual(['node', 'dist/main.js']);
    }
  });

  it('runs migrations with the API image as a one-shot before the services', async () => {
    const migrate = await service('migrate');
    expect(buildOf(migrate)).toEqual(buildOf(await service('api')));
    expect(commandOf(migrate)).toEqual(['node', 'dist/migrate.js']);
    // …which the image carries, in the directory it runs from.
    const image = await imageOf(migrate);
    const destinations = image.instructions.filter((i) => i.keyword === 'COPY').map((i) => parseCopy(i.args).destination);
    expect(destinations).toContain(posix.join(lastInstruction(image, 'WORKDIR')!.args, 'dist/migrate.js'));
    expect(migrate.restart).toBe('no');
    expect(serviceEnv(migrate).DATABASE_URL).toBe(serviceEnv(await service('api')).DATABASE_URL);
    expect(dependsOn(migrate)).toEqual({ postgres: 'service_healthy' });
    for (const name of nodeServiceNames) {
      expect(dependsOn(await service(name)), name).toEqual({
        redis: 'service_healthy',
        postgres: 'service_healthy',
        migrate: 'service_completed_successfully',
        'redis-cluster-init': 'service_completed_successfully',
      });
    }
  });

  it("gives each Node service an environment its config loader accepts, pointing at compose's redis and postgres", async () => {
    for (const name of nodeServiceNames) {
      const env = serviceEnv(await service(name));
      const config = nodeServices[name].load(env) as { nodeEnv: string; port: number; redis: { url: string }; databaseUrl: string };
      expect(config.nodeEnv, name).toBe('production');
      expect(config.port, name).toBe(nodeServices[name].port);
      expect(new URL(config.redis.url).hostname, name).toBe('redis');
      const db = new URL(config.databaseUrl);
      expect([db.hostname, db.username, db.password, db.pathname], name).toEqual(['postgres', 'chat', testVariables.POSTGRES_PASSWORD, '/chat']);
    }
    expect(loadApiConfig(serviceEnv(await service('api'))).trustProxy).toBe(true);
    expect(loadApiConfig(serviceEnv(await service('api'))).jwtSecret).toBe(testVariables.JWT_SECRET);
    expect(loadGatewayConfig(serviceEnv(await service('gateway'))).jwtSecret).toBe(testVariables.JWT_SECRET);
  });

  it('sets no variable that the service does not read (a typo would be silently ignored)', async () => {
    const sentinel = 'zzunreadsentinelzz';
    for (const name of nodeServiceNames) {
      const env = serviceEnv(await service(name));
      for (const key of Object.keys(env)) {
        let read = false;
        try {
          read = JSON.stringify(nodeServices[name].load({ ...env, [key]: sentinel })).includes(sentinel);
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          read = err.message.includes(key);
        }
        expect(read, `${name} reads ${key}`).toBe(true);
      }
    }
  });

  it('gives every gateway replica its own replica id (none is fixed in the environment)', async () => {
    const env = serviceEnv(await service('gateway'));
    expect(env.REPLICA_ID).toBeUndefined();
    const a = loadGatewayConfig(env).replicaId;
    const b = loadGatewayConfig(env).replicaId;
    expect(a).not.toBe(b);
  });

  it('takes secrets only from the environment: no defaults, and compose refuses to start without them', async () => {
    const text = await readComposeText();
    for (const secret of ['JWT_SECRET', 'POSTGRES_PASSWORD']) {
      const uses = [...text.matchAll(new RegExp(`\\$\\{${secret}([^}]*)\\}`, 'g'))].map((m) => m[1]);
      expect(uses.length, secret).toBeGreaterThan(0);
      for (const use of uses) expect(use, `${secret} is required, never defaulted`).toMatch(/^:\?/);
      await expect(loadCompose({ ...testVariables, [secret]: undefined })).rejects.toThrow(secret);
    }
    expect(interpolate('${OPENAI_API_KEY:-}', {})).toBe('');
    expect(serviceEnv((await loadCompose()).services['bot-worker']!).OPENAI_API_KEY).toBe('');
  });

  it('publishes only nginx, on 8080 (and Prometheus and Grafana on the loopback), and pins no host port or container name on a scalable service', async () => {
    const compose = await loadCompose();
    const observability = ['prometheus', 'grafana'];
    for (const [name, svc] of Object.entries(compose.services)) {
      expect(svc.container_name, `${name} container_name`).toBeUndefined();
      if (name !== 'nginx' && !observability.includes(name)) expect(svc.ports ?? [], `${name} ports`).toEqual([]);
    }
    for (const name of observability) for (const port of compose.services[name]?.ports ?? []) expect(String(port), name).toMatch(/^127\.0\.0\.1:/);
    expect(compose.services.nginx?.ports).toEqual(['8080:8080']);
    expect((await loadCompose({ ...testVariables, HTTP_PORT: '80' })).services.nginx?.ports).toEqual(['80:8080']);
  });

  it('health-checks every long-running service, on the port the service listens on', async () => {
    const compose = await loadCompose();
    for (const [name, svc] of Object.entries(compose.services)) {
      if (svc.restart === 'no') continue; // one-shots: migrate, redis-cluster-init
      const test = svc.healthcheck?.test;
      expect(Array.isArray(test) && test.length > 1, `${name} has a healthcheck`).toBe(true);
    }
    for (const name of nodeServiceNames) {
      const test = (await service(name)).healthcheck?.test as string[];
      expect(test.join(' '), name).toContain(`http://127.0.0.1:${nodeServices[name].port}/health/ready`);
      // The image built for the service documents the same port.
      const exposed = (await imageOf(await service(name))).instructions.filter((i) => i.keyword === 'EXPOSE').map((i) => i.args);
      expect(exposed, `${name} EXPOSE`).toEqual([String(nodeServices[name].port)]);
    }
    expect(compose.services.redis?.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(compose.services.postgres?.healthcheck?.test?.slice(0, 2)).toEqual(['CMD', 'pg_isready']);
    expect((compose.services.nginx?.healthcheck?.test as string[]).join(' ')).toContain('http://127.0.0.1:8080/nginx-health');
  });

  it('starts nginx after the api and gateways are healthy, and points its discovery at them', async () => {
    const nginx = await service('nginx');
    expect(dependsOn(nginx)).toEqual({ api: 'service_healthy', gateway: 'service_healthy' });
    const env = serviceEnv(nginx);
    expect(env.GATEWAY_HOSTS).toBe('gateway');
    expect(env.GATEWAY_PORT).toBe(serviceEnv(await service('gateway')).PORT);
    expect(env.API_ADDRESS).toBe(`api:${serviceEnv(await service('api')).PORT}`);
    expect(env.LISTEN).toBe('8080');
  });

  it('runs redis with an append-only file and noeviction, as BullMQ needs', async () => {
    const command = commandOf(await service('redis'));
    const option = (flag: string) => command[command.indexOf(flag) + 1];
    expect(command[0]).toBe('redis-server');
    expect(option('--appendonly')).toBe('yes');
    expect(option('--maxmemory-policy')).toBe('noeviction');
    expect((await service('redis')).volumes).toContain('redis-data:/data');
  });

  it('keeps postgres data on a named volume', async () => {
    const compose = await loadRawCompose();
    expect(compose.services.postgres?.volumes).toContain('postgres-data:/var/lib/postgresql/data');
    expect(Object.keys(compose.volumes ?? {})).toEqual(expect.arrayContaining(['postgres-data', 'redis-data']));
    const env = serviceEnv(await service('postgres'));
    expect([env.POSTGRES_USER, env.POSTGRES_DB, env.POSTGRES_PASSWORD]).toEqual(['chat', 'chat', testVariables.POSTGRES_PASSWORD]);
  });
});
