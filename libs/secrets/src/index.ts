export * from './secrets.module';
export * from './secrets.service';
export * from './llm-key-checker';
export * from './flow-secrets';
