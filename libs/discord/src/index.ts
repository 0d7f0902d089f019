export * from './discord.adapter';
export * from './discord.module';
export * from './discord-apps.service';
export * from './discord-capabilities';
export * from './discord-commands.service';
export * from './discord-ingress';
export * from './discord-rest';
export * from './envelope';
