import { BadRequestException, Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { User } from '@openflows/db';
import { InvalidSecretNameError, SecretsService } from '@openflows/secrets';
import { CurrentUser } from '../auth/current-user.decorator';
import { PutSecretDto, SecretView } from './secrets.dto';

/** `/api/secrets`: the signed-in user's named secrets, write-only values. */
@ApiTags('secrets')
@ApiBearerAuth()
@Controller('api/secrets')
export class SecretsController {
  constructor(private readonly secrets: SecretsService) {}

  @Put(':name')
  @ApiOkResponse({ type: SecretView })
  async put(@CurrentUser() user: User, @Param('name') name: string, @Body() dto: PutSecretDto): Promise<SecretView> {
    return this.guard(() => this.secrets.put(user.id, name, dto));
  }

  @Get()
  @ApiOkResponse({ type: [SecretView] })
  list(@CurrentUser() user: User): Promise<SecretView[]> {
    return this.secrets.list(user.id);
  }

  @Delete(':name')
  @HttpCode(204)
  async delete(@CurrentUser() user: User, @Param('name') name: string): Promise<void> {
    if (!(await this.guard(() => this.secrets.delete(user.id, name)))) throw new NotFoundException(`no secret named ${name}`);
  }

  private async guard<T>(action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      if (error instanceof InvalidSecretNameError)
        throw new BadRequestException({ statusCode: 400, code: error.code, message: error.message });
      throw error;
    }
  }
}
