import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { removeOnExit } from './lifetime.js';
import { freePort, isListening, waitFor, WaitAborted } from './ports.js';
import { startProcess, type ManagedProcess } from './process.js';

const run = promisify(execFile);

export interface PostgresServer {
  /** URL of the `postgres` database; use `databaseUrl(name)` for others. */
  url: string;
  port: number;
  databaseUrl(database: string): string;
  /** Runs SQL as the superuser through psql. */
  sql(statement: string, database?: string): Promise<string>;
  process: ManagedProcess;
  stop(): Promise<void>;
}

export interface PostgresServerOptions {
  /** Data directory; a temp dir (removed on stop) when omitted. Reused when it holds a cluster. */
  dataDir?: string;
  port?: number;
  echo?: boolean;
  logFile?: string;
  /**
   * Run with production's durability: `fsync`, `synchronous_commit` and `full_page_writes`
   * on, and initdb syncing what it writes. A commit then returns only once its WAL is on
   * disk, so an acknowledged commit costs what it costs in production (what load runs
   * measure). When false, all three are off and initdb skips its syncs: commits return
   * before anything reaches the disk, which keeps tests fast but flatters every commit,
   * and a crash of the machine may lose or corrupt the cluster (fine for test data).
   * @default false
   */
  durable?: boolean;
}

/** Debian keeps the server binaries off PATH, in /usr/lib/postgresql/<major>/bin. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const majors = readdirSync(root).filter((d) => existsSync(join(root, d, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a));
    if (majors[0]) return join(root, majors[0], 'bin');
  }
  return '';
}

const bin = (name: string): string => {
  const dir = postgresBinDir();
  return dir ? join(dir, name) : name;
};

/** PostgreSQL refuses to run as root: as root, run it as the `postgres` system user. */
function asServerUser(command: string, args: string[]): [string, string[]] {
  if (userInfo().uid === 0) return ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', command, ...args]];
  return [command, args];
}

async function serverUserIds(): Promise<{ uid: number; gid: number } | undefined> {
  if (userInfo().uid !== 0) return undefined;
  const { stdout: uid } = await run('id', ['-u', 'postgres']);
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

/** `-c` flags turning the settings that trade durability for speed on (production's) or off. */
const durability = (on: boolean): string[] =>
  ['fsync', 'synchronous_commit', 'full_page_writes'].flatMap((setting) => ['-c', `${setting}=${on ? 'on' : 'off'}`]);

/** A private PostgreSQL on a free port with trust auth on 127.0.0.1 only; see `durable` for its disk settings. */
export async function startPostgres(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const durable = options.durable ?? false;
  const ownDir = !options.dataDir;
  const base = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'chat-pg-')));
  const forgetDir = ownDir ? removeOnExit(base) : () => undefined;
  const dataDir = join(base, 'data');
  const socketDir = join(base, 'run');
  await mkdir(socketDir, { recursive: true });
  const ids = await serverUserIds();
  if (ids) {
    await chown(base, ids.uid, ids.gid);
    await chown(socketDir, ids.uid, ids.gid);
  }

  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    const [cmd, args] = asServerUser(bin('initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', ...(durable ? [] : ['--no-sync'])]);
    await run(cmd, args).catch((err: Error & { stderr?: string }) => {
      throw new Error(`initdb failed: ${err.stderr ?? err.message}`);
    });
    await writeFile(join(dataDir, 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n');
    if (ids) await chown(join(dataDir, 'pg_hba.conf'), ids.uid, ids.gid);
  }

  const port = options.port ?? (await freePort());
  const [cmd, args] = asServerUser(bin('postgres'), [
    '-D', dataDir,
    '-p', String(port),
    '-k', socketDir,
    '-c', 'listen_addresses=127.0.0.1',
    ...durability(durable),
    '-c', 'max_connections=300',
    '-c', 'shared_buffers=128MB',
  ]);
  const proc = startProcess('postgres', cmd, args, { echo: options.echo, logFile: options.logFile });
  // A durable start flushes to disk (and a reused cluster may replay its WAL first): allow it longer.
  await waitFor(`postgres on ${port}`, async () => {
    if (proc.child.exitCode !== null) throw new WaitAborted(`postgres exited: ${proc.output()}`);
    if (!(await isListening(port))) return false;
    const ready = await run(bin('pg_isready'), ['-h', '127.0.0.1', '-p', String(port)]).then(() => true, () => false);
    return ready;
  }, durable ? 60_000 : 30_000, 100);

  const databaseUrl = (database: string): string => `postgres://postgres@127.0.0.1:${port}/${database}`;
  let stopped: Promise<void> | undefined;
  return {
    url: databaseUrl('postgres'),
    port,
    databaseUrl,
    process: proc,
    sql: async (statement, database = 'postgres') => {
      const { stdout } = await run('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', database, '-v', 'ON_ERROR_STOP=1', '-At', '-c', statement]);
      return stdout.trim();
    },
    stop: () =>
      (stopped ??= (async () => {
        // SIGINT is PostgreSQL's "fast shutdown".
        await proc.stop(11_000, 'SIGINT');
        if (ownDir) {
          await rm(base, { recursive: true, force: true });
          forgetDir();
        }
      })()),
  };
}
