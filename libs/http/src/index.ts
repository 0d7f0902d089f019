export * from './endpoint-auth';
export * from './endpoint-guard.service';
export * from './endpoints.service';
export * from './exchange';
export * from './http-ingress';
export * from './http.adapter';
export * from './http.module';
