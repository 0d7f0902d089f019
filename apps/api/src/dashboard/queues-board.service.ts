import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Queue } from 'bullmq';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { APP_CONFIG, EVENTS_QUEUE, bullConnection, runsQueueNames, type AppConfig } from '@openflows/common';
import { AuthService } from '../auth/auth.service';
import { sessionToken } from '../auth/session-cookie';
import { loginUrl } from '../auth/sign-in-redirect.filter';

/** Where Bull Board is mounted. */
export const QUEUES_BOARD_PATH = '/admin/queues';

/**
 * Queue health for operators: Bull Board over the events queue and every runs partition, for admin
 * sessions only (no session → `/login`, not an admin → 403). Its queue handles are closed at shutdown.
 */
@Injectable()
export class QueuesBoardService implements OnApplicationShutdown {
  private readonly queues: Queue[];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly auth: AuthService,
  ) {
    const connection = bullConnection(config.redis.url, 'producer');
    this.queues = [EVENTS_QUEUE, ...runsQueueNames(config.runs.partitions)].map(
      (name) => new Queue(name, { connection, prefix: config.redis.prefix }),
    );
  }

  /** The handlers to mount at {@link QUEUES_BOARD_PATH}: the admin check, then Bull Board's router. */
  handlers(): RequestHandler[] {
    const adapter = new ExpressAdapter().setBasePath(QUEUES_BOARD_PATH);
    createBullBoard({ queues: this.queues.map((queue) => new BullMQAdapter(queue)), serverAdapter: adapter });
    const adminOnly = (req: Request, res: Response, next: NextFunction) => void this.admit(req, res, next).catch(next);
    return [adminOnly, adapter.getRouter() as RequestHandler];
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.queues.map((queue) => queue.close()));
  }

  private async admit(req: Request, res: Response, next: NextFunction): Promise<void> {
    const session = await this.auth.sessionUser(sessionToken(req));
    const user = session ?? ((await this.auth.open()) ? await this.auth.localUser() : undefined);
    if (!user) return res.redirect(302, loginUrl(req.originalUrl));
    if (!this.auth.isAdmin(user) && !(await this.auth.open())) {
      res.status(403).type('text').send('Queue health is for admins: ask one to add your GitHub login to ADMIN_GITHUB_LOGINS.');
      return;
    }
    next();
  }
}
