import { BadRequestException, Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { InvalidSecretNameError, SecretsService } from '@openflows/secrets';
import { PutSecretDto, SecretView } from './secrets.dto';

/** `/api/secrets`: named secrets, write-only values. */
@ApiTags('secrets')
@ApiBearerAuth()
@Controller('api/secrets')
export class SecretsController {
  constructor(private readonly secrets: SecretsService) {}

  @Put(':name')
  @ApiOkResponse({ type: SecretView })
  async put(@Param('name') name: string, @Body() dto: PutSecretDto): Promise<SecretView> {
    return this.guard(() => this.secrets.put(name, dto));
  }

  @Get()
  @ApiOkResponse({ type: [SecretView] })
  list(): Promise<SecretView[]> {
    return this.secrets.list();
  }

  @Delete(':name')
  @HttpCode(204)
  async delete(@Param('name') name: string): Promise<void> {
    if (!(await this.guard(() => this.secrets.delete(name)))) throw new NotFoundException(`no secret named ${name}`);
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
