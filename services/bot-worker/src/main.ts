import { once } from 'node:events';
import { createLogger, createRedis, loadOrExit, loadWorkerConfig } from '@chat/runtime';
import { createOrm } from '@chat/store';
import { safeError } from './safe-error.js';
import { createStatusServer } from './status/status.server.js';
import { createBotWorker } from './worker.js';

const config = loadOrExit(() => loadWorkerConfig());
const logger = createLogger({ service: 'bot-worker', level: config.logLevel });

const connection = createRedis(config.redisUrl, { forWorker: true, connectionName: 'bot-worker:queues' });
const publisher = createRedis(config.redisUrl, { connectionName: 'bot-worker:publisher' });
// ioredis reconnects by itself; without a listener it would print "Unhandled error event" outside the logs.
for (const [name, client] of Object.entries({ connection, publisher })) {
  client.on('error', (err: unknown) => logger.warn({ client: name, err: safeError(err) }, 'redis connection error'));
}
// A bug in a background promise must not take the running jobs down with it.
process.on('unhandledRejection', (err) => logger.error({ err: safeError(err) }, 'unhandled rejection'));
const orm = await createOrm({ databaseUrl: config.databaseUrl, poolMax: Math.max(4, config.stockConcurrency + config.aiConcurrency) });

const worker = createBotWorker({ connection, publisher, orm, logger }, config);
const server = createStatusServer({ registry: worker.registry, ready: () => worker.ready(), logger });

let stopping: Promise<void> | undefined;
const stop = (signal: string): Promise<void> =>
  (stopping ??= (async () => {
    logger.info({ signal }, 'stopping: letting running jobs finish');
    // Jobs first (they still need Redis and PostgreSQL), then the connections.
    await worker.stop();
    server.close();
    await Promise.allSettled([orm.close(true), connection.quit(), publisher.quit()]);
    logger.info('stopped');
  })());

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    stop(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'unclean stop');
        process.exit(1);
      },
    );
  });
}

// /health answers while the process runs; /health/ready tells whether Redis and PostgreSQL do.
server.listen(config.port, config.host);
await once(server, 'listening');
logger.info({ port: config.port }, 'bot worker listening for /health and /metrics');
await worker.start();
