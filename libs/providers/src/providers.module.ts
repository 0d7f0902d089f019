import { Module } from '@nestjs/common';
import { GithubAdapter, GithubModule } from '@openflows/github';
import { SlackAdapter, SlackModule } from '@openflows/slack';
import { ProviderRegistry } from './provider-registry';

/** The one list of providers: a new provider is its module here and its adapter in the factory. */
@Module({
  imports: [GithubModule, SlackModule],
  providers: [
    {
      provide: ProviderRegistry,
      inject: [GithubAdapter, SlackAdapter],
      useFactory: (...adapters: ConstructorParameters<typeof ProviderRegistry>[0]) => new ProviderRegistry(adapters),
    },
  ],
  exports: [ProviderRegistry],
})
export class ProvidersModule {}
