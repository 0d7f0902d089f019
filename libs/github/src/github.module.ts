import { Module } from '@nestjs/common';
import { GithubAppService } from './github-app.service';
import { InstallationsService } from './installations.service';

/** GitHub integration: App clients and installation bookkeeping. Needs the global config and db modules. */
@Module({ providers: [GithubAppService, InstallationsService], exports: [GithubAppService, InstallationsService] })
export class GithubModule {}
