import { once } from 'node:events';
import { createLogger, createOrm, createRedis, loadOrExit, loadWorkerConfig } from '@chat/common';
import { createStatusServer } from './status/status.server.js';
import { createBotWorker } from './worker.js';

const config = loadOrExit(() => loadWorkerConfig());
const logger = createLogger({ service: 'bot-worker', level: config.logLevel });

const connection = createRedis(config.redisUrl, { forWorker: true });
const publisher = createRedis(config.redisUrl);
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
