import { createLogger, createRedis, exitOnSignals, loadApiConfig, loadOrExit, safeError } from '@chat/runtime';
import { createApi } from './app.js';
import { connectOrm } from './db/connect.js';

/** Wires config → ORM → Redis → API and listens; SIGTERM/SIGINT stop it cleanly. */
const config = loadOrExit(() => loadApiConfig());
const logger = createLogger({ service: 'api', level: config.logLevel });
const log = logger.child({ module: 'main' });

try {
  const orm = await connectOrm({ databaseUrl: config.databaseUrl }, logger);
  const redis = createRedis(config.redis);
  redis.on('error', (err: unknown) => log.warn({ err: safeError(err) }, 'redis connection error'));
  const api = createApi({ config, orm, redis, logger });

  exitOnSignals(
    async () => {
      await api.stop().catch((err: unknown) => log.error({ err: safeError(err) }, 'http server did not stop cleanly'));
      await orm.close(true).catch((err: unknown) => log.error({ err: safeError(err) }, 'closing the database pool failed'));
      await redis.quit().catch((err: unknown) => log.error({ err: safeError(err) }, 'closing redis failed'));
    },
    { logger: log },
  );

  await api.start(config.port, config.host);
} catch (err) {
  log.fatal({ err: safeError(err) }, 'api failed to start');
  process.exit(1);
}
