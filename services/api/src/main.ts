import { createLogger, createRedis, loadApiConfig, loadOrExit } from '@chat/runtime';
import { createApi } from './app.js';
import { connectOrm } from './db/connect.js';

/** Wires config → ORM → Redis → API and listens; SIGTERM/SIGINT stop it cleanly. */
async function main(): Promise<void> {
  const config = loadOrExit(() => loadApiConfig());
  const logger = createLogger({ service: 'api', level: config.logLevel });
  const log = logger.child({ module: 'main' });

  const orm = await connectOrm({ databaseUrl: config.databaseUrl }, logger);
  const redis = createRedis(config.redisUrl);
  redis.on('error', (err: Error) => log.warn({ err: err.message }, 'redis error'));
  const api = createApi({ config, orm, redis, logger });

  let shutdown: Promise<void> | undefined;
  const stop = (signal: string): Promise<void> =>
    (shutdown ??= (async () => {
      log.info({ signal }, 'shutting down');
      await api.stop().catch((err: unknown) => log.error({ err }, 'http server did not stop cleanly'));
      await orm.close(true).catch((err: unknown) => log.error({ err }, 'closing the database pool failed'));
      await redis.quit().catch((err: unknown) => log.error({ err }, 'closing redis failed'));
      log.info('stopped');
    })());
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void stop(signal).then(() => process.exit(0));
    });
  }

  await api.start(config.port, config.host);
}

main().catch((err: unknown) => {
  process.stderr.write(`api failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
