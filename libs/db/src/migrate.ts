import { bootConfig, runMain } from '@openflows/common';
import { openDatabase } from './database';

/** `npm run db:migrate`: applies the committed migrations to the configured database and exits. */
runMain(async () => {
  const config = bootConfig();
  const handle = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await handle.migrate();
  await handle.close();
  process.stdout.write(`migrations applied (${handle.driver})\n`);
});
