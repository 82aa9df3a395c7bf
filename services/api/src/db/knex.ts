import type { Orm } from '@chat/store';

/** The query builder the ORM shares its pool with (what `orm.em.getKnex()` returns). */
export type Knex = ReturnType<Orm['em']['getKnex']>;

/** MikroORM's driver hands timestamps back as strings; raw Date objects are possible too. */
export function toIsoTime(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}
