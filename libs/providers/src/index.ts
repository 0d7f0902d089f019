export * from './provider-registry';
export * from './providers.module';
export * from './registration.service';
