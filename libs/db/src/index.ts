export * from './connections.repository';
export * from './database';
export * from './db.module';
export * from './events.repository';
export * from './flows.repository';
export * from './runs.repository';
export * from './schema';
export * from './tokens';
