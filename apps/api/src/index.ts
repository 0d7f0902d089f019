export * from './api.module';
export * from './http';
