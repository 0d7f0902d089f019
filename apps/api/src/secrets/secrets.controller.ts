import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CodedError } from '@openflows/common';
import type { User } from '@openflows/db';
import { SecretsService } from '@openflows/secrets';
import { CurrentUser } from '../auth/current-user.decorator';
import { PatchSecretDto, PutSecretDto, SecretView } from './secrets.dto';

/**
 * `/api/secrets`: the signed-in user's named secrets, write-only values. A malformed name is the
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

  /** @throws CodedError `SECRET_NOT_FOUND` when the user has no secret of that name. */
  @Delete(':name')
  @HttpCode(204)
  async delete(@CurrentUser() user: User, @Param('name') name: string): Promise<void> {
    if (!(await this.secrets.delete(user.id, name))) throw new CodedError('SECRET_NOT_FOUND', `no secret named ${name}`);
  }
}
