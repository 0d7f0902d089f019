import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { APP_CONFIG, signInEnabled, type AppConfig } from '@openflows/common';
import { UsersRepository, type User } from '@openflows/db';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Who a request acts as. A personal API token (issued at sign-in) → its user; `API_TOKEN` → the local
 * user; no token → the local user in single-user mode (no GitHub sign-in configured, no `API_TOKEN`),
 * else 401. Single-user mode without `API_TOKEN` ignores tokens it does not know, as it always did.
 */
@Injectable()
export class AuthService {
  private local?: User;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UsersRepository,
  ) {}

  /** @throws UnauthorizedException for a missing or unknown token where one is required. */
  async authenticate(token: string | undefined): Promise<User> {
    const open = !signInEnabled(this.config) && !this.config.apiToken;
    if (!token) {
      if (open) return this.localUser();
      throw new UnauthorizedException('missing or wrong API token');
    }
    // Compare digests so that timing reveals neither the token nor its length.
    if (this.config.apiToken && timingSafeEqual(digest(token), digest(this.config.apiToken))) return this.localUser();
    const user = await this.users.findByToken(token);
    if (user) return user;
    if (open) return this.localUser();
    throw new UnauthorizedException('missing or wrong API token');
  }

  /**
   * Who starts a connection (`/connect/github`, `/connect/slack`): with sign-in, the token's user; in
   * single-user mode the local user, with or without a token, as those routes always were open there
   * (the install itself is authorised by GitHub or Slack, and `API_TOKEN` stays out of browser URLs).
   * @throws UnauthorizedException with sign-in on and no known token.
   */
  async connectingUser(token: string | undefined): Promise<User> {
    return signInEnabled(this.config) ? this.authenticate(token) : this.localUser();
  }

  /** The built-in local user, created on first use and then remembered by this process. */
  private async localUser(): Promise<User> {
    this.local ??= await this.users.local();
    return this.local;
  }
}
