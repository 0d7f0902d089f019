import { HttpException } from '@nestjs/common';

/** An HTTP answer to a webhook sender, with a stable `code` beside the message. */
export class WebhookError extends HttpException {
  constructor(status: number, code: string, message: string) {
    super({ statusCode: status, code, message }, status);
  }
}
