import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { Logger } from '@nestjs/common';
import { Pool } from 'pg';
import * as schema from './schema';

/** The Drizzle database, whichever driver is behind it. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

/** A database handle plus how to migrate and close it. */
export interface DatabaseHandle {
  db: Database;
  driver: 'postgres' | 'pglite';
  /** Applies the committed migrations in `drizzle/` (idempotent). */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

/** The committed drizzle-kit migrations: the nearest `drizzle/` above this file (source tree or `dist/`). */
function migrationsFolder(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'drizzle', 'meta', '_journal.json'))) return join(dir, 'drizzle');
  }
  throw new Error(`no drizzle/ migrations folder above ${__dirname}`);
}

/** Any constant shared by all processes of the platform; names the advisory lock below. */
const MIGRATION_LOCK = 7_370_233;

/**
 * Applies migrations under a session-level advisory lock: api and worker processes starting together
 * (compose) would otherwise both try to create the same tables.
 */
async function migratePostgres(pool: Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await migratePg(drizzlePg(client, { schema }), { migrationsFolder: migrationsFolder() });
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
}

/**
 * Opens the database: node-postgres when `databaseUrl` is set, else embedded PGlite persisted in
 * `<dataDir>/pglite` (single process only: PGlite cannot be shared between processes).
 * @param options.databaseUrl a `postgres://` URL, or undefined for PGlite.
 * @param options.dataDir where PGlite keeps its files; `memory://` keeps them in memory (tests).
 */
export function openDatabase(options: { databaseUrl?: string; dataDir: string }): DatabaseHandle {
  if (options.databaseUrl) {
    const pool = new Pool({ connectionString: options.databaseUrl, max: 10 });
    // An idle client losing its connection (PostgreSQL restarted) is an 'error' of the pool, which ends
    // the process when nothing listens; the pool drops that client and connects anew on the next query.
    pool.on('error', (error) => new Logger('Database').warn(`an idle PostgreSQL connection failed: ${error.message}`));
    const db = drizzlePg(pool, { schema });
    return {
      db,
      driver: 'postgres',
      migrate: () => migratePostgres(pool),
      close: () => pool.end(),
    };
  }
  const inMemory = options.dataDir === 'memory://';
  const dir = inMemory ? undefined : join(options.dataDir, 'pglite');
  if (dir) mkdirSync(dir, { recursive: true });
  const client = new PGlite(dir);
  const db = drizzlePglite(client, { schema });
  return {
    db,
    driver: 'pglite',
    migrate: () => migratePglite(db, { migrationsFolder: migrationsFolder() }),
    close: () => client.close(),
  };
}
