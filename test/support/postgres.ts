/** Throw-away databases on the test PostgreSQL server (`TEST_DATABASE_URL`, trust auth). */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The test server's admin URL; override with TEST_DATABASE_URL. */
export const TEST_POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function withAdmin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Drops `name` once its connections are gone. `pool.end()` resolves before the server has seen every
 * connection close; a plain DROP waits (up to 5 s) for them, whereas WITH (FORCE) at once would kill
 * them and their clients would emit an unhandled error. FORCE only for connections left open.
 */
async function dropDatabase(name: string): Promise<void> {
  await withAdmin(async (client) => {
    try {
      await client.query(`DROP DATABASE IF EXISTS ${name}`);
    } catch (error) {
      if ((error as { code?: string }).code !== '55006') throw error; // object_in_use
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  });
}

/** Creates an empty database `of_test_<random>`; returns its URL and how to drop it. */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `of_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => dropDatabase(name) };
}
