export * from './envelope';
export * from './slack-client.service';
export * from './slack-oauth.service';
export * from './slack-routing.service';
export * from './slack-workspaces.service';
export * from './slack.module';
export * from './web-client';
