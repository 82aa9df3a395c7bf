import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { removeOnExit } from './lifetime.js';
import { freePort, isListening, waitFor, WaitAborted } from './ports.js';
import { startProcess, type ManagedProcess } from './process.js';

const run = promisify(execFile);

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const nginxTemplatePath = join(repoRoot, 'deploy/nginx/nginx.conf.template');

export interface GatewayTarget {
  /** The replica id the gateway puts in front of its session ids. */
  replicaId: string;
  /** host:port */
  address: string;
  /**
   * Takes new sessions (its /health/ready answers 200). A replica that is not ready
   * keeps its sessions' sid route but leaves the new-session pool. @default true
   */
  ready?: boolean;
}

export interface NginxRenderOptions {
  listen: string;
  apiAddress: string;
  gateways: GatewayTarget[];
  webRoot: string;
  tempDir: string;
  pidFile: string;
  errorLog: string;
  accessLog?: string;
  workerProcesses?: number | 'auto';
  mimeTypes?: string;
  /** Addresses or CIDRs of trusted proxies in front (X-Forwarded-For/-Proto taken from them). @default none */
  realIpFrom?: string[];
}

const upstreamName = (replicaId: string): string => `gateway_${replicaId.replace(/[^A-Za-z0-9_]/g, '_')}`;
const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const PROXY_ADDRESS = /^[0-9A-Fa-f:.]+(\/[0-9]+)?$/;

/** The `{{REAL_IP}}` block: realip settings and `$trusted_proxy` (1 for a request from a trusted proxy). */
export function renderRealIp(realIpFrom: readonly string[]): string {
  for (const a of realIpFrom) if (!PROXY_ADDRESS.test(a)) throw new Error(`nginx: not an address or CIDR: ${a}`);
  const lines = realIpFrom.length
    ? [...realIpFrom.map((a) => `  set_real_ip_from ${a};`), '  real_ip_header X-Forwarded-For;', '  real_ip_recursive on;']
    : ['  # No trusted proxy in front: the connecting address is the client.'];
  return [...lines, '  geo $realip_remote_addr $trusted_proxy {', '    default 0;', ...realIpFrom.map((a) => `    ${a} 1;`), '  }'].join('\n');
}

/** Fills deploy/nginx/nginx.conf.template. */
export function renderNginxConfig(template: string, o: NginxRenderOptions): string {
  if (o.gateways.length === 0) throw new Error('nginx needs at least one gateway');
  // New sessions go to the ready replicas; to every replica when none is ready.
  const ready = o.gateways.filter((g) => g.ready ?? true);
  const pool = ready.length > 0 ? ready : o.gateways;
  const values: Record<string, string> = {
    WORKER_PROCESSES: String(o.workerProcesses ?? 1),
    PID_FILE: o.pidFile,
    ERROR_LOG: o.errorLog,
    ACCESS_LOG: o.accessLog ?? 'off',
    MIME_TYPES: o.mimeTypes ?? (existsSync('/etc/nginx/mime.types') ? '/etc/nginx/mime.types' : join(repoRoot, 'deploy/nginx/mime.types')),
    TEMP_DIR: o.tempDir,
    LISTEN: o.listen,
    API_ADDRESS: o.apiAddress,
    WEB_ROOT: o.webRoot,
    GATEWAY_SID_ROUTES: o.gateways.map((g) => `    "~^${escapeRegex(g.replicaId)}\\." ${upstreamName(g.replicaId)};`).join('\n'),
    REAL_IP: renderRealIp(o.realIpFrom ?? []),
    GATEWAY_SERVERS: pool.map((g) => `    server ${g.address} max_fails=1 fail_timeout=5s;`).join('\n'),
    GATEWAY_UPSTREAMS: o.gateways
      .map((g) => `  upstream ${upstreamName(g.replicaId)} {\n    server ${g.address};\n    keepalive 8;\n  }`)
      .join('\n'),
  };
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`nginx template: no value for {{${key}}}`);
    return value;
  });
}

export interface NginxServer {
  url: string;
  port: number;
  configPath: string;
  process: ManagedProcess;
  /** Re-renders the config for a new set of gateways and reloads nginx. */
  reload(gateways: GatewayTarget[]): Promise<void>;
  stop(): Promise<void>;
}

export interface StartNginxOptions {
  apiAddress: string;
  gateways: GatewayTarget[];
  /** Static files for `/`; the built web client when present, else a placeholder. */
  webRoot?: string;
  port?: number;
  host?: string;
  /** Where config, logs and temp files go; a temp dir (removed on stop) when omitted. */
  workDir?: string;
  /** nginx `worker_processes`: 'auto' is one per core (load tests). @default 1 */
  workerProcesses?: number | 'auto';
  /** Trusted proxies in front (see NginxRenderOptions.realIpFrom). @default none */
  realIpFrom?: string[];
  echo?: boolean;
}

export function defaultWebRoot(): string {
  const built = join(repoRoot, 'web/dist');
  return existsSync(join(built, 'index.html')) ? built : join(repoRoot, 'deploy/nginx/html');
}

export async function startNginx(options: StartNginxOptions): Promise<NginxServer> {
  const ownDir = !options.workDir;
  const dir = options.workDir ?? (await mkdtemp(join(tmpdir(), 'chat-nginx-')));
  const forgetDir = ownDir ? removeOnExit(dir) : () => undefined;
  const tempDir = join(dir, 'tmp');
  await mkdir(tempDir, { recursive: true });
  // nginx's workers run as an unprivileged user when started as root.
  await chmod(dir, 0o755);
  await chmod(tempDir, 0o777);
  const port = options.port ?? (await freePort());
  const host = options.host ?? '127.0.0.1';
  const configPath = join(dir, 'nginx.conf');
  const template = await readFile(nginxTemplatePath, 'utf8');
  const render = (gateways: GatewayTarget[]): string =>
    renderNginxConfig(template, {
      listen: `${host}:${port}`,
      apiAddress: options.apiAddress,
      gateways,
      webRoot: options.webRoot ?? defaultWebRoot(),
      tempDir,
      pidFile: join(dir, 'nginx.pid'),
      errorLog: join(dir, 'error.log'),
      workerProcesses: options.workerProcesses,
      realIpFrom: options.realIpFrom,
    });
  await writeFile(configPath, render(options.gateways));
  await run('nginx', ['-t', '-q', '-p', dir, '-c', configPath]).catch((err: Error & { stderr?: string }) => {
    throw new Error(`nginx config invalid: ${err.stderr ?? err.message}`);
  });
  const proc = startProcess('nginx', 'nginx', ['-p', dir, '-c', configPath, '-g', 'daemon off;'], { echo: options.echo });
  await waitFor(`nginx on ${port}`, async () => {
    if (proc.child.exitCode !== null) throw new WaitAborted(`nginx exited: ${proc.output()}`);
    return isListening(port, host);
  });
  let stopped: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    configPath,
    process: proc,
    reload: async (gateways) => {
      await writeFile(configPath, render(gateways));
      proc.kill('SIGHUP');
      await new Promise((r) => setTimeout(r, 300));
    },
    stop: () =>
      (stopped ??= (async () => {
        // SIGQUIT is nginx's graceful stop.
        await proc.stop(6_000, 'SIGQUIT');
        if (ownDir) await rm(dir, { recursive: true, force: true });
        forgetDir();
      })()),
  };
}
