import { execFile } from 'node:child_process';
import { chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, isListening, postgresBinDir, startPostgres, startProcess, waitFor, type PostgresServer } from '@chat/testkit';

const run = promisify(execFile);
const bin = (name: string): string => (postgresBinDir() ? join(postgresBinDir(), name) : name);

/**
 * PostgreSQL for load runs. `durable` keeps production's settings (fsync and
 * synchronous_commit on), so an acknowledged send costs what it costs in production;
 * otherwise it is the test harness's server (fsync off), which flatters every commit.
 */
export async function startLoadPostgres(durable: boolean): Promise<PostgresServer> {
  if (!durable) return startPostgres();
  const base = await mkdtemp(join(tmpdir(), 'chat-load-pg-'));
  const dataDir = join(base, 'data');
  const socketDir = join(base, 'run');
  await mkdir(socketDir);
  const root = userInfo().uid === 0;
  const ids = root ? { uid: Number((await run('id', ['-u', 'postgres'])).stdout), gid: Number((await run('id', ['-g', 'postgres'])).stdout) } : undefined;
  if (ids) {
    await chown(base, ids.uid, ids.gid);
    await chown(socketDir, ids.uid, ids.gid);
  }
  // PostgreSQL refuses to run as root: as root, run it as the postgres system user.
  const asServer = (command: string, args: string[]): [string, string[]] =>
    root ? ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', command, ...args]] : [command, args];

  const [initCmd, initArgs] = asServer(bin('initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C']);
  await run(initCmd, initArgs);
  await writeFile(join(dataDir, 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 trust\n');
  if (ids) await chown(join(dataDir, 'pg_hba.conf'), ids.uid, ids.gid);

  const port = await freePort();
  const [cmd, args] = asServer(bin('postgres'), [
    '-D', dataDir, '-p', String(port), '-k', socketDir,
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'max_connections=300',
    '-c', 'shared_buffers=128MB',
    '-c', 'fsync=on',
    '-c', 'synchronous_commit=on',
  ]);
  const proc = startProcess('postgres', cmd, args);
  await waitFor(`postgres on ${port}`, async () => {
    if (proc.child.exitCode !== null) throw new Error(`postgres exited: ${proc.output()}`);
    return (await isListening(port)) && (await run(bin('pg_isready'), ['-h', '127.0.0.1', '-p', String(port)]).then(() => true, () => false));
  }, 60_000, 100);

  const databaseUrl = (database: string): string => `postgres://postgres@127.0.0.1:${port}/${database}`;
  let stopped: Promise<void> | undefined;
  return {
    url: databaseUrl('postgres'),
    port,
    databaseUrl,
    process: proc,
    sql: async (statement, database = 'postgres') =>
      (await run('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', database, '-v', 'ON_ERROR_STOP=1', '-At', '-c', statement])).stdout.trim(),
    stop: () =>
      (stopped ??= (async () => {
        proc.kill('SIGINT');
        await Promise.race([proc.exited, new Promise((r) => setTimeout(r, 10_000))]);
        await proc.stop(1_000);
        await rm(base, { recursive: true, force: true });
      })()),
  };
}
