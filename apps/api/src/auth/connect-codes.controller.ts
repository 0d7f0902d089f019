import { Controller, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { User } from '@openflows/db';
import { ConnectCodesService } from './connect-codes.service';
import { CurrentUser } from './current-user.decorator';

/** A one-time connect code. */
export class ConnectCodeView {
  @ApiProperty({ example: 'ofc_…', description: 'Open `/connect/<provider>?code=<code>` in a browser within 60 s; good for one use.' })
  code!: string;
  @ApiProperty({ description: 'ISO 8601.' }) expiresAt!: string;
}

/**
 * `POST /api/connect-codes`: a one-time code for the signed-in user (token or session) that starts a
 * connection in a browser, `GET /connect/<provider>?code=…` (see ConnectCodesService).
 */
@ApiTags('connections')
@ApiBearerAuth()
@Controller('api/connect-codes')
export class ConnectCodesController {
  constructor(private readonly codes: ConnectCodesService) {}

  @Post()
  @ApiCreatedResponse({ type: ConnectCodeView })
  create(@CurrentUser() user: User): Promise<ConnectCodeView> {
    return this.codes.issue(user.id);
  }
}
