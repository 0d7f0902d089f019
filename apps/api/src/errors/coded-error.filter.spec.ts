import { Body, Controller, ForbiddenException, Get, type INestApplication, type LoggerService, Post, ValidationPipe } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { CodedError, ConfigError } from '@openflows/common';
import { FlowDeployError } from '@openflows/runtime';
import { SignInRateLimitedError, SignInRequiredError } from '../auth/auth.errors';
import { CredentialsDto } from '../auth/auth.dto';
import { useErrorFilters } from './error-filters';

/** Routes that throw what the api's routes throw. */
@Controller()
class ThrowingController {
  @Get('coded')
  coded(): never {
    throw new CodedError('FLOW_NOT_FOUND', 'no flow named nope');
  }

  @Get('details')
  details(): never {
    throw new SignInRateLimitedError(30);
  }

  @Get('flow-error')
  flowError(): never {
    throw new FlowDeployError('FLOW_INVALID', '"name" must be a flow name');
  }

  @Get('nest')
  nest(): never {
    throw new ForbiddenException('not yours');
  }

  @Post('validated')
  validated(@Body() dto: CredentialsDto): string {
    return dto.login;
  }

  @Get('unknown')
  async unknown(): Promise<never> {
    throw new Error('connect ECONNREFUSED postgres://admin:hunter2@db');
  }

  @Get('config')
  config(): never {
    throw new ConfigError(['/data/github-app.json: not valid JSON']);
  }

  @Get('connect/page')
  page(): never {
    throw new SignInRequiredError();
  }
}

/** Keeps what the app logs, to check what an unknown error leaves in the log. */
class LogRecorder implements LoggerService {
  readonly errors: unknown[][] = [];
  log(): void {}
  warn(): void {}
  error(...args: unknown[]): void {
    this.errors.push(args);
  }
}

describe('CodedErrorFilter (a real Nest app with the api error filters)', () => {
  let app: INestApplication;
  const logs = new LogRecorder();

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ controllers: [ThrowingController] }).compile();
    app = moduleRef.createNestApplication();
    app.useLogger(logs);
    useErrorFilters(app);
    // As configureHttp validates DTOs.
    app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
    await app.init();
  });

  afterAll(() => app.close());
  beforeEach(() => logs.errors.splice(0));

  test('a CodedError is answered with its status, code and message, and not logged', async () => {
    const res = await request(app.getHttpServer()).get('/coded');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ statusCode: 404, code: 'FLOW_NOT_FOUND', message: 'no flow named nope' });
    expect(logs.errors).toEqual([]);
  });

  test('details are answered when the error has some', async () => {
    const res = await request(app.getHttpServer()).get('/details');
    expect(res.status).toBe(429);
    expect(res.body).toEqual({
      statusCode: 429,
      code: 'RATE_LIMITED',
      message: 'too many failed sign-ins: try again in 30 s',
      details: { retryAfter: 30 },
    });
  });

  test("a library's own error keeps its code (FlowDeployError: 400)", async () => {
    const res = await request(app.getHttpServer()).get('/flow-error');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ statusCode: 400, code: 'FLOW_INVALID', message: '"name" must be a flow name' });
  });

  test("Nest's HttpExceptions and unknown routes answer as Nest answers them", async () => {
    const forbidden = await request(app.getHttpServer()).get('/nest');
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toEqual({ statusCode: 403, message: 'not yours', error: 'Forbidden' });
    const nowhere = await request(app.getHttpServer()).get('/nowhere');
    expect(nowhere.status).toBe(404);
    expect(nowhere.body).toEqual({ statusCode: 404, message: 'Cannot GET /nowhere', error: 'Not Found' });
  });

  test("the validation pipe's 400 lists what is wrong, as before", async () => {
    const res = await request(app.getHttpServer()).post('/validated').send({ login: 'admin', password: 'short', extra: 1 });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      statusCode: 400,
      message: expect.arrayContaining(['property extra should not exist', 'password: 12 to 256 characters']),
      error: 'Bad Request',
    });
  });

  test('an unknown error is a logged 500 INTERNAL that says nothing of it', async () => {
    const res = await request(app.getHttpServer()).get('/unknown');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ statusCode: 500, code: 'INTERNAL', message: 'internal error' });
    expect(res.text).not.toContain('hunter2');
    expect(logs.errors).toHaveLength(1);
    const [fields, message] = logs.errors[0] as [{ err: Error; method: string; path: string; code: string }, string];
    expect(message).toBe('request failed');
    expect(fields).toMatchObject({ method: 'GET', path: '/unknown', code: 'INTERNAL' });
    expect(fields.err.message).toContain('hunter2');
  });

  test('a ConfigError is a logged 500 CONFIG_INVALID that does not show the configuration', async () => {
    const res = await request(app.getHttpServer()).get('/config');
    expect(res.body).toEqual({ statusCode: 500, code: 'CONFIG_INVALID', message: 'the server is misconfigured: see its log' });
    expect(logs.errors).toHaveLength(1);
  });

  test('SignInRequiredError: browsers are sent to /login, API clients get the coded 401', async () => {
    const browser = await request(app.getHttpServer()).get('/connect/page?x=1').set('accept', 'text/html');
    expect(browser.status).toBe(302);
    expect(browser.headers.location).toBe('/login?next=%2Fconnect%2Fpage%3Fx%3D1');
    const client = await request(app.getHttpServer()).get('/connect/page').set('accept', 'application/json');
    expect(client.status).toBe(401);
    expect(client.body).toEqual({
      statusCode: 401,
      code: 'NOT_SIGNED_IN',
      message: 'missing or wrong API token, and no signed-in session',
    });
  });
});
