/**
 * A fresh, migrated database per test file, on either driver the platform supports:
 * - `postgres`: a new database on the test server (see `./postgres`), dropped again by `drop()`;
 * - `pglite`: an in-memory PGlite (`memory://`), gone once closed.
 */

/*
 * PGlite's CommonJS build loads Node built-ins and its wasm with `await import(...)`, which jest's
 * module sandbox refuses without `--experimental-vm-modules` (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING_FLAG).
 * So the real package is loaded by Node's own loader and jest's registry hands out that same module:
 * nothing is faked. Import this file before anything that loads `@openflows/db`. (swc hoists this call.)
 */
jest.mock('@electric-sql/pglite', () => {
  // jest.mock factories are hoisted above imports, so only require() can reach modules here.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Module } = require('node:module') as { Module: { _load(request: string, parent: null, isMain: boolean): unknown } };
  return Module._load(require.resolve('@electric-sql/pglite'), null, false);
});

import { openDatabase, type DatabaseHandle } from '@openflows/db';
import { createPostgresDatabase } from './postgres';

export type TestDriver = DatabaseHandle['driver'];

/** Both drivers, for `describe.each(TEST_DRIVERS)`. */
export const TEST_DRIVERS: TestDriver[] = ['postgres', 'pglite'];

export interface TestDatabase {
  handle: DatabaseHandle;
  /** Closes the handle and, for Postgres, drops the database. */
  drop(): Promise<void>;
}

/** How long `createTestDatabase` may take (PGlite starts its wasm Postgres and migrates): for `beforeAll`. */
export const CREATE_TEST_DATABASE_TIMEOUT_MS = 60_000;

/** Creates, opens and migrates a fresh database for `driver`. */
export async function createTestDatabase(driver: TestDriver): Promise<TestDatabase> {
  if (driver === 'pglite') {
    const handle = openDatabase({ dataDir: 'memory://' });
    await handle.migrate();
    return { handle, drop: () => handle.close() };
  }
  const database = await createPostgresDatabase();
  const handle = openDatabase({ databaseUrl: database.url, dataDir: 'memory://' });
  const drop = async () => {
    await handle.close();
    await database.drop();
  };
  try {
    await handle.migrate();
  } catch (error) {
    await drop();
    throw error;
  }
  return { handle, drop };
}
