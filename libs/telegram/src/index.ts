export * from './envelope';
export * from './telegram-api';
export * from './telegram-capabilities';
export * from './telegram-connections.service';
export * from './telegram-ingress';
export * from './telegram-routing';
export * from './telegram.adapter';
export * from './telegram.module';
