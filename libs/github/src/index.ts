export * from './envelope';
export * from './github-app.service';
export * from './github-connect.service';
export * from './github-sign-in.service';
export * from './github-tokens.service';
export * from './github.module';
export * from './installations.service';
export * from './subscription-registration.service';
