import { RequestContext, type EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from './orm.js';

/**
 * The EntityManager for one unit of work: the request's own fork where the
 * caller opened a request context (the API does, per HTTP request), else a
 * fresh fork, so identity maps never outlive what they serve.
 */
export function entityManager(orm: Orm): EntityManager {
  return (RequestContext.getEntityManager() as EntityManager | undefined) ?? orm.em.fork();
}

/** The query builder on the ORM's pool, for the statements written as SQL. */
export type Knex = ReturnType<Orm['em']['getKnex']>;

/** Runs `next` (an HTTP request's handling) with an EntityManager fork of its own, which the store's queries then use. */
export function withRequestContext<T>(orm: Orm, next: () => T): T {
  return RequestContext.create(orm.em, next);
}
