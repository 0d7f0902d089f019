import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CodedError } from '@openflows/common';
import type { User } from '@openflows/db';
import { SecretsService } from '@openflows/secrets';
import { CurrentUser } from '../auth/current-user.decorator';
import { PutSecretDto, SecretView } from './secrets.dto';

/**
 * `/api/secrets`: the signed-in user's named secrets, write-only values; LLM keys are checked with
 * their provider when stored and on `POST /api/secrets/:name/check`. A malformed name is the
 * service's InvalidSecretNameError (400 `SECRET_NAME_INVALID`).
 */
@ApiTags('secrets')
@ApiBearerAuth()
@Controller('api/secrets')
export class SecretsController {
  constructor(private readonly secrets: SecretsService) {}

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

  @Get()
  @ApiOkResponse({ type: [SecretView] })
  list(@CurrentUser() user: User): Promise<SecretView[]> {
    return this.secrets.list(user.id);
  }

  /** @throws CodedError `SECRET_NOT_FOUND` when the user has no secret of that name. */
  @Delete(':name')
  @HttpCode(204)
  async delete(@CurrentUser() user: User, @Param('name') name: string): Promise<void> {
    if (!(await this.secrets.delete(user.id, name))) throw new CodedError('SECRET_NOT_FOUND', `no secret named ${name}`);
  }
}
