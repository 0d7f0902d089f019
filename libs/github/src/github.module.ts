import { Module } from '@nestjs/common';
import { GithubAdapter } from './github.adapter';
import { GithubAppManifestService } from './github-app-manifest.service';
import { GithubAppService } from './github-app.service';
import { GithubConnectService } from './github-connect.service';
import { GithubIngress } from './github-ingress';
import { GithubSignInService } from './github-sign-in.service';
import { GithubTokensService } from './github-tokens.service';
import { InstallationsService } from './installations.service';
import { SubscriptionRegistrationService } from './subscription-registration.service';

const providers = [
  GithubAdapter,
  GithubAppManifestService,
  GithubAppService,
  GithubConnectService,
  GithubIngress,
  GithubSignInService,
  GithubTokensService,
  InstallationsService,
  SubscriptionRegistrationService,
];

/**
 * GitHub integration: App clients, user sign-in, connecting an installation or a token, installation bookkeeping
 * and subscription registration. Needs the global config and db modules.
 */
@Module({ providers, exports: providers })
export class GithubModule {}
