import { Module } from '@nestjs/common';
import { LlmKeyChecker } from './llm-key-checker';
import { SecretsService } from './secrets.service';

/** Named secrets and the check of LLM keys; needs the global config and Redis modules. */
@Module({ providers: [SecretsService, LlmKeyChecker], exports: [SecretsService] })
export class SecretsModule {}
