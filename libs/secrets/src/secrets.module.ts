import { Module } from '@nestjs/common';
import { SecretsService } from './secrets.service';

/** Named secrets; needs the global config and Redis modules. */
@Module({ providers: [SecretsService], exports: [SecretsService] })
export class SecretsModule {}
