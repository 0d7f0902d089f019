import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { CREATE_TEST_DATABASE_TIMEOUT_MS, createTestDatabase, type TestDatabase } from '@openflows/test-support/database';
import { useTestRedis } from '@openflows/test-support/redis';
import { startSlackStandIn, type SlackStandIn } from '@openflows/test-support/slack-stand-in';
import { loadConfig } from '@openflows/common';
import { ConnectionsRepository, UsersRepository } from '@openflows/db';
import { SdkError } from '@openflows/sdk';
import { SlackOAuthService } from './slack-oauth.service';
import { SlackWorkspacesService } from './slack-workspaces.service';

const CLIENT = { clientId: '1111.2222', clientSecret: 'spec-client-secret' };

/** Installs the stand-in's team through the OAuth service for `userId`, as a browser would. */
async function install(oauth: SlackOAuthService, slack: SlackStandIn, teamId: string, userId: string) {
  const authorize = oauth.authorizeUrl(userId);
  // Slack's authorize page, where the user grants the scopes the platform asks for.
  await fetch(authorize);
  const state = new URL(authorize).searchParams.get('state')!;
  return oauth.complete({ code: slack.issueCode(teamId), state });
}

describe('SlackWorkspacesService (postgres, Redis, Slack stand-in with token rotation)', () => {
  const testRedis = useTestRedis('slack-workspaces');
  let database: TestDatabase;
  let config: ReturnType<typeof loadConfig>;
  let slack: SlackStandIn;
  let connections: ConnectionsRepository;
  let workspaces: SlackWorkspacesService;
  let oauth: SlackOAuthService;
  let users: UsersRepository;
  /** The platform user installing the workspaces. */
  let userId: string;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    database = await createTestDatabase('postgres');
    // Grants expire within the refresh margin, so every read refreshes: that is what is under test.
    slack = await startSlackStandIn({ ...CLIENT, rotationExpiresIn: 60 });
    config = loadConfig({
      MASTER_KEY: randomBytes(32).toString('base64'),
      SLACK_API_URL: slack.url,
      SLACK_CLIENT_ID: CLIENT.clientId,
      SLACK_CLIENT_SECRET: CLIENT.clientSecret,
      REDIS_PREFIX: testRedis.prefix,
    });
    connections = new ConnectionsRepository(database.handle.db);
    workspaces = new SlackWorkspacesService(config, connections, testRedis.redis);
    oauth = new SlackOAuthService(config, workspaces);
    users = new UsersRepository(database.handle.db);
    userId = (await users.local()).id;
  }, CREATE_TEST_DATABASE_TIMEOUT_MS);

  afterAll(async () => {
    await slack.close();
    await database.drop();
  });

  it('stores the grant sealed, and refreshes a rotating token that is about to expire', async () => {
    slack.addTeam({ id: 'T0ROT', name: 'Rotating', botUserId: 'U0BOT', channels: [] });
    expect(await install(oauth, slack, 'T0ROT', userId)).toEqual({ teamName: 'Rotating', ownerId: userId });
    const granted = slack.botToken('T0ROT')!;
    const stored = (await connections.findWorkspace('T0ROT'))!;
    expect(stored.credentials).not.toContain(granted);
    expect(stored.credentials).not.toContain('xoxe-1-');

    const first = await workspaces.workspace('T0ROT');
    expect(first).toMatchObject({ teamName: 'Rotating', botUserId: 'U0BOT' });
    expect(first.botToken).not.toBe(granted);
    expect(first.botToken).toBe(slack.botToken('T0ROT'));
    const refreshes = slack.calls.filter((c) => c.method === 'oauth.v2.access' && c.args.grant_type === 'refresh_token');
    expect(refreshes).toHaveLength(1);
    // The refreshed credentials were stored: the next read uses (and spends) the new refresh token.
    expect((await workspaces.workspace('T0ROT')).botToken).toBe(slack.botToken('T0ROT'));
  });

  it('two processes refreshing at once refresh once: the other waits for the lock and reads the new token', async () => {
    slack.addTeam({ id: 'T0RACE', name: 'Racing', botUserId: 'U0BOT', channels: [] });
    await install(oauth, slack, 'T0RACE', userId);
    const refreshes = () => slack.calls.filter((c) => c.method === 'oauth.v2.access' && c.args.grant_type === 'refresh_token').length;
    const before = refreshes();
    // The refreshed token lasts (as Slack's 12 h do): a process reading it after the refresh does not refresh again.
    slack.setRotationExpiresIn(12 * 3600);
    // Both read the expiring token before either refresh is answered.
    slack.delayRefresh(300);
    // Another worker: its own service and Redis client, the same rows and lock.
    const otherRedis = testRedis.redis.duplicate();
    const other = new SlackWorkspacesService(config, new ConnectionsRepository(database.handle.db), otherRedis);

    const [mine, theirs] = await Promise.all([workspaces.workspace('T0RACE'), other.workspace('T0RACE')]).finally(() => {
      otherRedis.disconnect();
      slack.setRotationExpiresIn(60);
      slack.delayRefresh(0);
    });

    expect(refreshes() - before).toBe(1);
    expect(mine.botToken).toBe(slack.botToken('T0RACE'));
    expect(theirs.botToken).toBe(mine.botToken);
    expect(await testRedis.redis.keys(`${testRedis.prefix}:slack-refresh:*`)).toEqual([]);
  });

  it('refuses a revoked workspace with SLACK_NOT_CONNECTED, and one never connected', async () => {
    slack.addTeam({ id: 'T0GONE', name: 'Gone', botUserId: 'U0BOT', channels: [] });
    await install(oauth, slack, 'T0GONE', userId);
    await workspaces.apply('T0GONE', { type: 'app_uninstalled' });
    for (const team of ['T0GONE', 'T0NEVER']) {
      await expect(workspaces.workspace(team)).rejects.toMatchObject({ code: 'SLACK_NOT_CONNECTED' });
      await expect(workspaces.workspace(team)).rejects.toBeInstanceOf(SdkError);
    }
    expect(await workspaces.find('T0GONE')).toMatchObject({ status: 'revoked', statusReason: 'app_uninstalled' });
  });

  it('revokes on tokens_revoked only when bot tokens were revoked', async () => {
    slack.addTeam({ id: 'T0TOK', name: 'Tokens', botUserId: 'U0BOT', channels: [] });
    await install(oauth, slack, 'T0TOK', userId);
    await workspaces.apply('T0TOK', { type: 'tokens_revoked', tokens: { oauth: ['U0USER'] } as never });
    expect(await workspaces.find('T0TOK')).toMatchObject({ status: 'active' });
    await workspaces.apply('T0TOK', { type: 'tokens_revoked', tokens: { bot: ['U0BOT'] } });
    expect(await workspaces.find('T0TOK')).toMatchObject({ status: 'revoked', statusReason: 'tokens_revoked' });
  });

  it('refuses a code Slack does not know, and a cancelled install', async () => {
    const state = new URL(oauth.authorizeUrl(userId)).searchParams.get('state')!;
    await expect(oauth.complete({ code: 'code-unknown', state })).rejects.toMatchObject({ code: 'OAUTH_REFUSED', status: 400 });
    await expect(oauth.complete({ error: 'access_denied', state })).rejects.toMatchObject({ code: 'ACCESS_DENIED', status: 400 });
  });

  it("binds the workspace to the user the state names, and refuses another user's re-install", async () => {
    slack.addTeam({ id: 'T0OWN', name: 'Owned', botUserId: 'U0BOT', channels: [] });
    await install(oauth, slack, 'T0OWN', userId);
    expect(await workspaces.workspace('T0OWN')).toMatchObject({ ownerId: userId });

    const other = await users.upsert({ provider: 'github', externalId: '7', login: 'other' });
    await expect(install(oauth, slack, 'T0OWN', other.id)).rejects.toMatchObject({ code: 'WORKSPACE_TAKEN', status: 409 });
    expect((await workspaces.find('T0OWN'))?.ownerId).toBe(userId);
    expect(await install(oauth, slack, 'T0OWN', userId)).toEqual({ teamName: 'Owned', ownerId: userId });
  });
});
