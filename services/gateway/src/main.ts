import { createServer } from 'node:http';
import { createCommandQueues, createLogger, createRedis, loadGatewayConfig, loadOrExit } from '@chat/runtime';
import { createOrm } from '@chat/store';
import { safeError } from './errors.js';
import { createGateway } from './gateway.js';

const config = loadOrExit(() => loadGatewayConfig());
const logger = createLogger({ service: 'gateway', level: config.logLevel }).child({ replicaId: config.replicaId });

const orm = await createOrm({ databaseUrl: config.databaseUrl, poolMax: 10 });
const redis = createRedis(config.redisUrl, { connectionName: `gateway:${config.replicaId}` });
// Subscriber mode needs a connection of its own; it must also wait out outages rather than fail commands.
// The other two time their commands out (createRedis), so a hung Redis cannot hold a handler.
const subscriber = createRedis(config.redisUrl, { connectionName: `gateway:${config.replicaId}:sub`, forSubscriber: true });
const queueConnection = createRedis(config.redisUrl, { connectionName: `gateway:${config.replicaId}:queues` });
for (const [name, client] of Object.entries({ redis, subscriber, queueConnection })) {
  client.on('error', (err: unknown) => logger.warn({ client: name, err: safeError(err) }, 'redis connection error'));
}
const queues = createCommandQueues(queueConnection);

const httpServer = createServer();
const gateway = createGateway(httpServer, { config, orm, redis, subscriber, queues, logger });

let stopping: Promise<void> | undefined;
const stop = (signal: string): Promise<void> =>
  (stopping ??= (async () => {
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, 30_000);
    force.unref();
    await gateway.stop();
    await Promise.allSettled([queues.close(), orm.close(true)]);
    await Promise.allSettled([redis.quit(), subscriber.quit(), queueConnection.quit()]);
    clearTimeout(force);
  })());

process.once('SIGTERM', () => void stop('SIGTERM').then(() => process.exit(0)));
process.once('SIGINT', () => void stop('SIGINT').then(() => process.exit(0)));
// A handler bug must not take every socket of this replica down with it.
process.on('unhandledRejection', (err) => logger.error({ err: safeError(err) }, 'unhandled rejection'));

await gateway.start();
httpServer.listen(config.port, config.host, () => {
  logger.info({ port: config.port, host: config.host }, 'gateway listening');
});
