import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CodedError } from '@openflows/common';
import { ModelsService } from '@openflows/llm';
import { SdkError } from '@openflows/sdk';
import type { User } from '@openflows/db';
import { SecretsService } from '@openflows/secrets';
import { CurrentUser } from '../auth/current-user.decorator';
import { ModelsView, PatchSecretDto, PutSecretDto, SecretView } from './secrets.dto';

/**
 * `/api/secrets`: the signed-in user's named secrets, write-only values; LLM keys are checked with
 * their provider when stored and on `POST /api/secrets/:name/check`. A malformed name is the
 * service's InvalidSecretNameError (400 `SECRET_NAME_INVALID`).
 */
@ApiTags('secrets')
@ApiBearerAuth()
@Controller('api/secrets')
export class SecretsController {
  constructor(
    private readonly secrets: SecretsService,
    private readonly models: ModelsService,
  ) {}

  @Put(':name')
  @ApiOkResponse({ type: SecretView })
  async put(@CurrentUser() user: User, @Param('name') name: string, @Body() dto: PutSecretDto): Promise<SecretView> {
    return this.secrets.put(user.id, name, dto);
  }

  /** @throws CodedError `SECRET_NOT_FOUND` when the user has no LLM key of that name. */
  @Post(':name/check')
  @HttpCode(200)
  @ApiOkResponse({ type: SecretView })
  async check(@CurrentUser() user: User, @Param('name') name: string): Promise<SecretView> {
    const checked = await this.secrets.check(user.id, name);
    if (!checked) throw new CodedError('SECRET_NOT_FOUND', `no LLM key named ${name}`);
    return checked;
  }

  /** @throws CodedError `SECRET_NOT_FOUND` when the user has no secret of that name. */
  @Patch(':name')
  @ApiOkResponse({ type: SecretView })
  async patch(@CurrentUser() user: User, @Param('name') name: string, @Body() dto: PatchSecretDto): Promise<SecretView> {
    const summary = await this.secrets.update(user.id, name, dto);
    if (!summary) throw new CodedError('SECRET_NOT_FOUND', `no secret named ${name}`);
    return summary;
  }

  @Get()
  @ApiOkResponse({ type: [SecretView] })
  list(@CurrentUser() user: User): Promise<SecretView[]> {
    return this.secrets.list(user.id);
  }

  /**
   * The models the key's server lists (`GET <baseURL>/models`), to pick one or check the key.
   * @throws CodedError `SECRET_NOT_FOUND`; `VENDOR_FAILED` (502) when the server refuses the key or cannot be reached.
   */
  @Get(':name/models')
  @ApiOkResponse({ type: ModelsView })
  async listModels(@CurrentUser() user: User, @Param('name') name: string): Promise<ModelsView> {
    const secret = await this.secrets.reveal(user.id, name);
    if (!secret) throw new CodedError('SECRET_NOT_FOUND', `no secret named ${name}`);
    try {
      return { models: await this.models.list({ apiKey: secret.value, baseURL: secret.baseURL }) };
    } catch (error) {
      if (error instanceof SdkError) throw new CodedError('VENDOR_FAILED', `the key's server answered: ${error.message}`);
      throw error;
    }
  }

  /** @throws CodedError `SECRET_NOT_FOUND` when the user has no secret of that name. */
  @Delete(':name')
  @HttpCode(204)
  async delete(@CurrentUser() user: User, @Param('name') name: string): Promise<void> {
    if (!(await this.secrets.delete(user.id, name))) throw new CodedError('SECRET_NOT_FOUND', `no secret named ${name}`);
  }
}
