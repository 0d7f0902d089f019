import { defineConfig } from 'drizzle-kit';

/** drizzle-kit generates SQL migrations from the schema into drizzle/ (committed, applied at start). */
export default defineConfig({
  dialect: 'postgresql',
  schema: './libs/db/src/schema.ts',
  out: './drizzle',
});
