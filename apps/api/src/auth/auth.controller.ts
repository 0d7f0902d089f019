import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { APP_CONFIG, signInEnabled, type AppConfig } from '@openflows/common';
import type { User } from '@openflows/db';
import { SignInRateLimitedError, SignInRequiredError } from './auth.errors';
import { AuthService, type SessionUser } from './auth.service';
import { CsrfService } from './csrf.service';
import { CurrentUser } from './current-user.decorator';
import { AuthOptionsView, CredentialsDto, SessionView, SetupDto } from './auth.dto';
import { SESSION_COOKIE, sessionCookieOptions, sessionToken } from './session-cookie';

/**
 * Dashboard sign-in: `/auth/options`, `/auth/session`, `/auth/setup` (first run), `/auth/login`,
 * `/auth/logout`. A session is an httpOnly cookie; its CSRF token is handed out here (see CsrfService).
 */
@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly auth: AuthService,
    private readonly csrf: CsrfService,
  ) {}

  @Get('options')
  async options(): Promise<AuthOptionsView> {
    return {
      github: signInEnabled(this.config),
      setupRequired: await this.auth.setupRequired(),
      setupTokenRequired: Boolean(this.config.apiToken),
    };
  }

  /** The signed-in user and a CSRF token for the session. @throws SignInRequiredError without a live session. */
  @Get('session')
  async session(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<SessionView> {
    const token = sessionToken(req);
    const user = await this.auth.sessionUser(token);
    if (!user || !token) throw new SignInRequiredError();
    res.setHeader('cache-control', 'no-store');
    return { user: this.auth.view(user), csrfToken: this.csrf.issue(req, res, token) };
  }

  @Post('setup')
  async setup(@Body() dto: SetupDto, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<SessionView> {
    return this.signedIn(await this.auth.setUp(dto.login, dto.password, dto.setupToken), req, res);
  }

  @Post('login')
  @HttpCode(200)
  async login(@Body() dto: CredentialsDto, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<SessionView> {
    try {
      return await this.signedIn(await this.auth.logIn(dto.login, dto.password, req.ip ?? 'unknown'), req, res);
    } catch (error) {
      if (error instanceof SignInRateLimitedError) res.setHeader('retry-after', String(error.retryAfter));
      throw error;
    }
  }

  @Post('logout')
  @HttpCode(204)
  async logout(@CurrentUser() _user: User, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    const token = sessionToken(req);
    if (token) await this.auth.endSession(token);
    const { maxAge: _maxAge, ...options } = sessionCookieOptions(this.config);
    res.clearCookie(SESSION_COOKIE, options);
  }

  private async signedIn(user: User, req: Request, res: Response): Promise<{ user: SessionUser; csrfToken: string }> {
    const token = await this.auth.startSession(user);
    res.cookie(SESSION_COOKIE, token, sessionCookieOptions(this.config));
    res.setHeader('cache-control', 'no-store');
    return { user: this.auth.view(user), csrfToken: this.csrf.issue(req, res, token) };
  }
}
