import { Inject, Injectable } from '@nestjs/common';
import { hash, verify, Algorithm } from '@node-rs/argon2';
import { createHash, timingSafeEqual } from 'node:crypto';
import { APP_CONFIG, CodedError, signInEnabled, type AppConfig } from '@openflows/common';
import { SessionsRepository, UsersRepository, type User } from '@openflows/db';
import { SignInRateLimitedError, SignInRequiredError } from './auth.errors';
import { SignInLimiterService } from './sign-in-limiter.service';

const digest = (text: string) => createHash('sha256').update(text).digest();

/** argon2id with the parameters OWASP recommends as a minimum (19 MiB, 2 passes, 1 lane). */
const ARGON2 = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** The user as the dashboard sees it. */
export interface SessionUser {
  id: string;
  login: string;
  provider: 'github' | 'local';
  admin: boolean;
}

/**
 * Who a request acts as, and the local account. Credentials, in order: a personal API token or
 * `API_TOKEN` (bearer), a dashboard session (cookie), and in single-user mode without an account
 * (no GitHub sign-in, no `API_TOKEN`, first run not done) nothing: the local user. Passwords are
 * hashed with argon2id (`@node-rs/argon2`); sign-in failures are rate-limited.
 */
@Injectable()
export class AuthService {
  private local?: User;
  private accountExists = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UsersRepository,
    private readonly sessions: SessionsRepository,
    private readonly limiter: SignInLimiterService,
  ) {}

  /**
   * Whether the API is open to anyone as the local user: single-user mode before the first-run setup.
   * Once an account exists it stays (remembered by this process).
   */
  async open(): Promise<boolean> {
    if (signInEnabled(this.config) || this.config.apiToken) return false;
    this.accountExists ||= await this.users.hasLocalAccount();
    return !this.accountExists;
  }

  /**
   * The user of a bearer token: a personal API token's user, or the local user for `API_TOKEN`. In the
   * open mode tokens it does not know are ignored, as they always were.
   * @throws CodedError `BAD_TOKEN` for an unknown token outside the open mode.
   */
  async authenticate(token: string): Promise<User> {
    // Compare digests so that timing reveals neither the token nor its length.
    if (this.config.apiToken && timingSafeEqual(digest(token), digest(this.config.apiToken))) return this.localUser();
    const user = await this.users.findByToken(token);
    if (user) return user;
    if (await this.open()) return this.localUser();
    throw new CodedError('BAD_TOKEN', 'missing or wrong API token');
  }

  /** The user of a live dashboard session, or undefined. */
  async sessionUser(sessionToken: string | undefined): Promise<User | undefined> {
    return sessionToken ? this.sessions.findUser(sessionToken) : undefined;
  }

  /** The local user when the API is open; else @throws SignInRequiredError. */
  async anonymous(): Promise<User> {
    if (await this.open()) return this.localUser();
    throw new SignInRequiredError();
  }

  /** Whether a user may open the operators' pages: the local account, GitHub logins in ADMIN_GITHUB_LOGINS. */
  isAdmin(user: User): boolean {
    return user.admin || (user.provider === 'github' && this.config.auth.adminLogins.includes(user.login.toLowerCase()));
  }

  /** The user as `GET /auth/session` shows it. */
  view(user: User): SessionUser {
    return { id: user.id, login: user.login, provider: user.provider, admin: this.isAdmin(user) };
  }

  /** Whether the first-run page is to be shown: no GitHub sign-in and no local account yet. */
  async setupRequired(): Promise<boolean> {
    return !signInEnabled(this.config) && !(this.accountExists ||= await this.users.hasLocalAccount());
  }

  /**
   * First run: makes the local user the install's admin account with this login and password. Where
   * `API_TOKEN` is set, `setupToken` must be it: a fresh install reachable by others is then claimed
   * only by whoever configured it.
   * @throws CodedError `SETUP_DISABLED` when GitHub sign-in is configured, `SETUP_TOKEN` when the setup
   *   token is missing or wrong, `SETUP_DONE` when it was done already.
   */
  async setUp(login: string, password: string, setupToken?: string): Promise<User> {
    if (signInEnabled(this.config)) {
      throw new CodedError('SETUP_DISABLED', 'this install signs in with GitHub');
    }
    if (this.config.apiToken && !(setupToken && timingSafeEqual(digest(setupToken), digest(this.config.apiToken)))) {
      throw new CodedError('SETUP_TOKEN', "enter the platform's API_TOKEN to create the account");
    }
    const user = await this.users.setUpLocalAccount(login, await hash(password, ARGON2));
    if (!user) throw new CodedError('SETUP_DONE', 'the account exists already: sign in');
    this.accountExists = true;
    this.local = user;
    return user;
  }

  /**
   * Password sign-in from `address` (the client's IP).
   * @throws SignInRateLimitedError after repeated failures;
   *   CodedError `BAD_CREDENTIALS` for a wrong login or password.
   */
  async logIn(login: string, password: string, address: string): Promise<User> {
    const retryAfter = await this.limiter.retryAfter(address, login);
    if (retryAfter > 0) throw new SignInRateLimitedError(retryAfter);
    const user = await this.users.findLocalAccount(login);
    // Verify against a real hash even for an unknown login, so timing does not tell which logins exist.
    const valid = await verify(user?.passwordHash ?? (await this.dummyHash()), password).catch(() => false);
    if (!user || !valid) {
      await this.limiter.failed(address, login);
      throw new CodedError('BAD_CREDENTIALS', 'wrong login or password');
    }
    await this.limiter.succeeded(address, login);
    return user;
  }

  /** Starts a dashboard session, forgetting expired ones on the way (sign-ins are rare). @returns the cookie's token. */
  async startSession(user: User): Promise<string> {
    await this.sessions.deleteExpired();
    return this.sessions.create(user.id, this.config.auth.sessionTtlMs);
  }

  /** Ends a dashboard session (sign-out). */
  endSession(sessionToken: string): Promise<void> {
    return this.sessions.delete(sessionToken);
  }

  /** The built-in local user, created on first use and then remembered by this process. */
  async localUser(): Promise<User> {
    this.local ??= await this.users.local();
    return this.local;
  }

  private dummy?: Promise<string>;
  private dummyHash(): Promise<string> {
    this.dummy ??= hash('openflows: no such account', ARGON2);
    return this.dummy;
  }
}
