export * from './secrets.module';
export * from './secrets.service';
