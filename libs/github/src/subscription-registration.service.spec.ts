import { CREATE_TEST_DATABASE_TIMEOUT_MS, TEST_DRIVERS, createTestDatabase, type TestDatabase } from '@openflows/test-support/database';
import { Logger } from '@nestjs/common';
import { loadConfig } from '@openflows/common';
import {
  ConnectionsRepository,
  FlowsRepository,
  RepositoryWebhooksRepository,
  UsersRepository,
  type InstallationRecord,
  type SubscriptionSpec,
} from '@openflows/db';
import { generateAppKeys, startGithubStandIn, type GithubStandIn } from '@openflows/test-support/github-stand-in';
import { GithubAppService } from './github-app.service';
import { GithubTokensService } from './github-tokens.service';
import { SubscriptionRegistrationService } from './subscription-registration.service';

const PUBLIC_URL = 'https://flows.example.test/';
const APP_ID = 515151;

let count = 0;
/** The platform user deploying the flows and owning the installations of these tests (made in beforeAll). */
let userId: string;
/** A fresh owner name, so tests of this file do not see each other's installations. */
const uniqueOwner = () => `owner-${++count}`;

const github = (target: string, event = 'issues'): SubscriptionSpec => ({ provider: 'github', target, event });

/** An active `selected` installation by `owner` covering `repositories`; a fresh installation id. */
const installation = (owner: string, repositories: string[], overrides: Partial<InstallationRecord> = {}): InstallationRecord => ({
  installationId: String(90_000 + ++count),
  accountLogin: owner,
  repositorySelection: 'selected',
  repositories,
  permissions: { issues: 'write' },
  status: 'active',
  ownerId: userId,
  ...overrides,
});

describe.each(TEST_DRIVERS)('SubscriptionRegistrationService (%s)', (driver) => {
  let database: TestDatabase;
  let connections: ConnectionsRepository;
  let flows: FlowsRepository;
  let registration: SubscriptionRegistrationService;
  /** GitHub: the App's settings (`GET /app`) are read from it with the App JWT. */
  let vendor: GithubStandIn;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    database = await createTestDatabase(driver);
    connections = new ConnectionsRepository(database.handle.db);
    flows = new FlowsRepository(database.handle.db);
    const keys = generateAppKeys();
    vendor = await startGithubStandIn({ appId: APP_ID, publicKeyPem: keys.publicKeyPem });
    const config = loadConfig({
      PUBLIC_URL,
      MASTER_KEY: '11'.repeat(32),
      GITHUB_APP_ID: String(APP_ID),
      GITHUB_APP_PRIVATE_KEY: keys.privateKeyPem,
      GITHUB_API_URL: vendor.url,
      GITHUB_URL: 'https://github.example.test',
    });
    const webhooks = new RepositoryWebhooksRepository(database.handle.db);
    const tokens = new GithubTokensService(config, connections, webhooks);
    registration = new SubscriptionRegistrationService(
      config,
      connections,
      flows,
      webhooks,
      tokens,
      new GithubAppService(config, connections, tokens),
    );
    userId = (await new UsersRepository(database.handle.db).local()).id;
  }, CREATE_TEST_DATABASE_TIMEOUT_MS);

  beforeEach(() => {
    // What the App subscribes to by default; tests change it as the App's owner would.
    vendor.app.events = ['issue_comment', 'issues', 'pull_request'];
    vendor.app.permissions = { issues: 'write', metadata: 'read', pull_requests: 'write' };
  });

  afterAll(async () => {
    await vendor?.close();
    await database.drop();
  });

  /** Deploys a flow on `subscriptions` as the api does: checked first. */
  async function deploy(subscriptions: SubscriptionSpec[], ownerId = userId) {
    const name = `flow-${++count}`;
    const checked = await registration.check(ownerId, subscriptions);
    await flows.deploy({ ownerId, name, bundle: 'exports.run = async () => {}', env: {}, subscriptions: checked });
    return async () => (await flows.findByName(ownerId, name))!.subscriptions;
  }

  it('registers GitHub repositories an active installation covers, selected or all, and every other provider', async () => {
    const owner = uniqueOwner();
    const everything = uniqueOwner();
    await connections.upsertInstallation(installation(owner, [`${owner}/covered`]));
    await connections.upsertInstallation(installation(everything, [], { repositorySelection: 'all' }));
    const slack = { provider: 'slack', target: 'T0/general', event: 'message' };

    const checked = await registration.check(userId, [
      github(`${owner}/covered`),
      github(`${owner}/covered`, 'issue_comment'),
      github(`${owner}/other`),
      github(`${everything}/anything`),
      slack,
    ]);

    expect(checked.map((s) => [s.target, s.event, s.registered])).toEqual([
      [`${owner}/covered`, 'issues', true],
      [`${owner}/covered`, 'issue_comment', true],
      [`${owner}/other`, 'issues', false],
      [`${everything}/anything`, 'issues', true],
      ['T0/general', 'message', true],
    ]);
  });

  it('does not count a revoked or failed installation', async () => {
    const owner = uniqueOwner();
    await connections.upsertInstallation(installation(owner, [`${owner}/a`], { status: 'revoked', statusReason: 'installation_deleted' }));
    await connections.upsertInstallation(installation(owner, [`${owner}/b`], { status: 'error', statusReason: 'suspended' }));
    expect((await registration.check(userId, [github(`${owner}/a`), github(`${owner}/b`)])).map((s) => s.registered)).toEqual([
      false,
      false,
    ]);
  });

  it('gives one actionable sentence per unregistered repository, with the install link', async () => {
    expect(registration.installUrl).toBe('https://flows.example.test/connect/github');
    expect(await registration.reason(userId, [{ ...github('o/a'), registered: true }])).toBeUndefined();
    expect(
      await registration.reason(userId, [
        { ...github('o/a'), registered: false },
        { ...github('o/a', 'issue_comment'), registered: false },
        { ...github('o/b'), registered: false },
      ]),
    ).toBe(
      'No GitHub App installation covers o/a: install the App at https://flows.example.test/connect/github, ' +
        'or connect a token with admin:repo_hook of an account that administers o/a (POST /api/connections/github-token); ' +
        'No GitHub App installation covers o/b: install the App at https://flows.example.test/connect/github, ' +
        'or connect a token with admin:repo_hook of an account that administers o/b (POST /api/connections/github-token)',
    );
  });

  it('registers an event only once the App subscribes to it and the installation granted its permission, saying what to do', async () => {
    const owner = uniqueOwner();
    const repo = `${owner}/reviews`;
    const { externalId } = await connections.upsertInstallation(
      installation(owner, [repo], { permissions: { issues: 'write', metadata: 'read' }, accountType: 'Organization' }),
    );
    vendor.app.events = ['issues', 'issue_comment'];
    vendor.app.permissions = { issues: 'write', metadata: 'read' };
    const subscriptionsOf = await deploy([github(repo, 'issues'), github(repo, 'pull_request')]);
    expect((await subscriptionsOf()).map((s) => [s.event, s.registered])).toEqual([
      ['issues', true],
      ['pull_request', false],
    ]);
    expect(await registration.reason(userId, await subscriptionsOf())).toBe(
      `The GitHub App does not receive pull_request events, so ${repo} gets none: in the App's settings ` +
        `(https://github.example.test/organizations/openflows/settings/apps/openflows-test/permissions) check pull_request ` +
        `under Subscribe to events and give it the Pull requests permission; an owner of ${owner} must then accept the new ` +
        `permissions, after which the flow runs by itself (redeploy it if the App asked for no new permission)`,
    );

    // The App's owner adds the event and its permission; the installation has not accepted it yet.
    vendor.app.events.push('pull_request');
    vendor.app.permissions.pull_requests = 'write';
    expect(await registration.refresh()).toEqual({ registered: [], unregistered: [] });
    expect(await registration.reason(userId, await subscriptionsOf())).toBe(
      `The GitHub App installation on ${owner} has not granted the Pull requests permission pull_request events need: ` +
        `an owner of ${owner} must accept the App's new permissions ` +
        `(https://github.example.test/organizations/${owner}/settings/installations/${externalId}); the flow then runs by itself`,
    );

    // installation.new_permissions_accepted records them; the refresh after it registers the event.
    await connections.setPermissions(externalId, { issues: 'write', metadata: 'read', pull_requests: 'write' });
    expect(await registration.refresh()).toEqual({ registered: [repo], unregistered: [] });
    expect((await subscriptionsOf()).map((s) => s.registered)).toEqual([true, true]);
  });

  it('counts issue_comment as delivered with the Pull requests permission alone', async () => {
    const owner = uniqueOwner();
    await connections.upsertInstallation(installation(owner, [`${owner}/prs`], { permissions: { pull_requests: 'read' } }));
    vendor.app.events = ['issue_comment', 'pull_request'];
    const checked = await registration.check(userId, [github(`${owner}/prs`, 'issue_comment'), github(`${owner}/prs`, 'issues')]);
    expect(checked.map((s) => s.registered)).toEqual([true, false]);
  });

  it('refresh registers a repository once an installation covers it, and unregisters it when that goes away', async () => {
    const owner = uniqueOwner();
    const subscriptionsOf = await deploy([github(`${owner}/later`), github(`${owner}/later`, 'issue_comment')]);
    expect((await subscriptionsOf()).map((s) => s.registered)).toEqual([false, false]);

    const { installationId } = await connections
      .upsertInstallation(installation(owner, []))
      .then((row) => ({ installationId: row.externalId }));
    expect(await registration.refresh()).toEqual({ registered: [], unregistered: [] });

    await connections.changeRepositories(installationId, [`${owner}/later`], []);
    expect(await registration.refresh()).toEqual({ registered: [`${owner}/later`], unregistered: [] });
    expect((await subscriptionsOf()).map((s) => s.registered)).toEqual([true, true]);
    expect(await registration.refresh()).toEqual({ registered: [], unregistered: [] });

    await connections.setStatus(installationId, 'revoked', 'installation_deleted');
    expect(await registration.refresh()).toEqual({ registered: [], unregistered: [`${owner}/later`] });
    expect((await subscriptionsOf()).map((s) => s.registered)).toEqual([false, false]);
  });

  it('refresh leaves undeployed flows alone', async () => {
    const owner = uniqueOwner();
    const name = `flow-${++count}`;
    const subscriptions = await registration.check(userId, [github(`${owner}/gone`)]);
    await flows.deploy({ ownerId: userId, name, bundle: 'x', env: {}, subscriptions });
    await flows.undeploy(userId, name);
    await connections.upsertInstallation(installation(owner, [`${owner}/gone`]));
    expect((await registration.refresh()).registered).not.toContain(`${owner}/gone`);
  });

  it("does not count another user's installation, at deploy or on refresh, until the flow's owner connects one", async () => {
    const owner = uniqueOwner();
    const other = (await new UsersRepository(database.handle.db).upsert({ provider: 'github', externalId: '9', login: 'someone' })).id;
    await connections.upsertInstallation(installation(owner, [`${owner}/shared`], { ownerId: other }));
    const theirs = await deploy([github(`${owner}/shared`)], other);
    const mine = await deploy([github(`${owner}/shared`)]);

    expect((await theirs()).map((s) => s.registered)).toEqual([true]);
    expect((await mine()).map((s) => s.registered)).toEqual([false]);
    await registration.refresh();
    expect((await mine()).map((s) => s.registered)).toEqual([false]);

    await connections.upsertInstallation(installation(owner, [`${owner}/shared`]));
    expect(await registration.refresh()).toEqual({ registered: [`${owner}/shared`], unregistered: [] });
    expect((await mine()).map((s) => s.registered)).toEqual([true]);
    expect((await theirs()).map((s) => s.registered)).toEqual([true]);
  });
});
