import { Migration } from '@mikro-orm/migrations';

/**
 * Room names are unique case-insensitively in every script, whatever the
 * database's locale. `lower(name)` follows the database's LC_CTYPE: under the C
 * locale (the test harness's, and a common server default) it folds only A–Z,
 * so `Ärger` and `ärger` were both accepted. ICU's root collation folds case the
 * same everywhere. No query compares room names itself (the index decides,
 * races included); one that does must use this very expression,
 * `lower("name" collate "und-x-icu")`, to agree with it and to use it.
 */
export class Migration20261201000000_room_names_icu_lower extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      do $$ begin
        if not exists (select 1 from pg_collation where collname = 'und-x-icu') then
          raise exception 'this PostgreSQL has no ICU collation "und-x-icu": room names need it (PostgreSQL built with ICU, as Debian''s and the official images are)';
        end if;
      end $$;`);
    // Names that only now collide (e.g. Ärger / ärger) keep the oldest as is; the others get their id's start appended.
    this.addSql(`
      update "rooms" r set "name" = left(r."name", 54) || ' #' || left(r."id"::text, 8)
      from (
        select "id", row_number() over (partition by lower("name" collate "und-x-icu") order by "created_at", "id") as n
        from "rooms"
      ) d
      where d."id" = r."id" and d.n > 1;`);
    this.addSql(`drop index if exists "rooms_name_lower_unique";`);
    this.addSql(`create unique index "rooms_name_icu_lower_unique" on "rooms" (lower("name" collate "und-x-icu"));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "rooms_name_icu_lower_unique";`);
    this.addSql(`create unique index "rooms_name_lower_unique" on "rooms" (lower("name"));`);
  }
}
