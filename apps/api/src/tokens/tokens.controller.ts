import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CodedError } from '@openflows/common';
import { UsersRepository, type User } from '@openflows/db';
import { CurrentUser } from '../auth/current-user.decorator';
import { CreateTokenDto, CreatedTokenView, TokenView } from './tokens.dto';

/** `/api/tokens`: the signed-in user's personal API tokens (for the CLI), created, listed, revoked. */
@ApiTags('tokens')
@ApiBearerAuth()
@Controller('api/tokens')
export class TokensController {
  constructor(private readonly users: UsersRepository) {}

  @Get()
  @ApiOkResponse({ type: [TokenView] })
  list(@CurrentUser() user: User): Promise<TokenView[]> {
    return this.users.listTokens(user.id);
  }

  @Post()
  @ApiCreatedResponse({ type: CreatedTokenView })
  create(@CurrentUser() user: User, @Body() dto: CreateTokenDto): Promise<CreatedTokenView> {
    return this.users.issueToken(user.id, dto.name);
  }

  /** @throws CodedError `API_TOKEN_NOT_FOUND` for another user's or an unknown token. */
  @Delete(':id')
  @HttpCode(204)
  async revoke(@CurrentUser() user: User, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    if (!(await this.users.revokeToken(user.id, id))) throw new CodedError('API_TOKEN_NOT_FOUND', `no token ${id}`);
  }
}
