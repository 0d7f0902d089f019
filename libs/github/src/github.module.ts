import { Module } from '@nestjs/common';
import { GithubAppService } from './github-app.service';
import { GithubConnectService } from './github-connect.service';
import { InstallationsService } from './installations.service';
import { SubscriptionRegistrationService } from './subscription-registration.service';

const providers = [GithubAppService, GithubConnectService, InstallationsService, SubscriptionRegistrationService];

/**
 * GitHub integration: App clients, connecting an installation, installation bookkeeping and subscription
 * registration. Needs the global config and db modules.
 */
@Module({ providers, exports: providers })
export class GithubModule {}
