import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@openflows/common';
import { openDatabase, type Database, type DatabaseHandle } from './database';
import { ConnectionsRepository } from './connections.repository';
import { EndpointKeysRepository } from './endpoint-keys.repository';
import { EventsRepository } from './events.repository';
import { FlowsRepository } from './flows.repository';
import { RepositoryWebhooksRepository } from './repository-webhooks.repository';
import { RunsRepository } from './runs.repository';
import { SessionsRepository } from './sessions.repository';
import { UsersRepository } from './users.repository';
import { DATABASE, DATABASE_HANDLE } from './tokens';

class DatabaseCloser implements OnApplicationShutdown {
  constructor(@Inject(DATABASE_HANDLE) private readonly handle: DatabaseHandle) {}
  async onApplicationShutdown(): Promise<void> {
    await this.handle.close();
  }
}

const repositories = [
  FlowsRepository,
  EventsRepository,
  RunsRepository,
  ConnectionsRepository,
  UsersRepository,
  RepositoryWebhooksRepository,
  SessionsRepository,
  EndpointKeysRepository,
];

/** Opens the database at boot, applies migrations before anything else runs, closes it at shutdown. */
@Global()
@Module({
  providers: [
    {
      provide: DATABASE_HANDLE,
      inject: [APP_CONFIG],
      useFactory: async (config: AppConfig) => {
        const handle = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
        await handle.migrate();
        return handle;
      },
    },
    { provide: DATABASE, inject: [DATABASE_HANDLE], useFactory: (handle: DatabaseHandle): Database => handle.db },
    DatabaseCloser,
    ...repositories,
  ],
  exports: [DATABASE, ...repositories],
})
export class DbModule {}
