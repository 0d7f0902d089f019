import { CREATE_TEST_DATABASE_TIMEOUT_MS, TEST_DRIVERS, createTestDatabase, type TestDatabase } from '@openflows/test-support/database';
import { ConnectionsRepository, type InstallationRecord } from './connections.repository';
import { UsersRepository } from './users.repository';

let installations = 0;
/** The user owning the connections of these tests unless they say otherwise (made in beforeAll). */
let ownerId: string;

/** A `selected` installation by `octo-org` covering octo-org/hello; a fresh installation id each time. */
function installationFactory(overrides: Partial<InstallationRecord> = {}): InstallationRecord {
  return {
    installationId: String(1000 + ++installations),
    accountLogin: 'octo-org',
    accountType: 'Organization',
    repositorySelection: 'selected',
    repositories: ['octo-org/hello'],
    permissions: { issues: 'write', metadata: 'read' },
    status: 'active',
    ownerId,
    ...overrides,
  };
}

describe.each(TEST_DRIVERS)('ConnectionsRepository (%s)', (driver) => {
  let database: TestDatabase;
  let connections: ConnectionsRepository;

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    connections = new ConnectionsRepository(database.handle.db);
    ownerId = (await new UsersRepository(database.handle.db).local()).id;
  }, CREATE_TEST_DATABASE_TIMEOUT_MS);

  afterAll(async () => {
    await database.drop();
  });

  it('stores an installation and finds it by id', async () => {
    const record = installationFactory();
    const row = await connections.upsertInstallation(record);
    expect(row).toMatchObject({
      provider: 'github',
      externalId: record.installationId,
      accountLogin: 'octo-org',
      accountType: 'Organization',
      repositorySelection: 'selected',
      repositories: ['octo-org/hello'],
      permissions: { issues: 'write', metadata: 'read' },
      status: 'active',
    });
    expect(await connections.findInstallation(record.installationId)).toEqual(row);
    expect(await connections.findInstallation('no-such-installation')).toBeUndefined();
  });

  it('replaces what it knows on a second upsert, keeping one row', async () => {
    const record = installationFactory();
    const first = await connections.upsertInstallation(record);
    const second = await connections.upsertInstallation({ ...record, repositories: ['octo-org/other'], status: 'active', permissions: {} });
    expect(second.id).toBe(first.id);
    expect(second.repositories).toEqual(['octo-org/other']);
    expect(second.permissions).toEqual({});
    expect((await connections.list(ownerId)).filter((c) => c.externalId === record.installationId)).toHaveLength(1);
  });

  describe('findActiveForRepo', () => {
    it("finds a 'selected' installation only for its repositories", async () => {
      const { installationId } = installationFactory();
      await connections.upsertInstallation(
        installationFactory({ installationId, accountLogin: 'sel-owner', repositories: ['sel-owner/one', 'sel-owner/two'] }),
      );
      expect((await connections.findActiveForRepo('sel-owner/two', ownerId))?.externalId).toBe(installationId);
      expect(await connections.findActiveForRepo('sel-owner/three', ownerId)).toBeUndefined();
    });

    it("finds an 'all' installation for any repository of its account, case-insensitively", async () => {
      const { installationId } = installationFactory();
      await connections.upsertInstallation(
        installationFactory({ installationId, accountLogin: 'All-Owner', repositorySelection: 'all', repositories: [] }),
      );
      expect((await connections.findActiveForRepo('all-owner/anything', ownerId))?.externalId).toBe(installationId);
      expect(await connections.findActiveForRepo('someone-else/anything', ownerId)).toBeUndefined();
    });

    it('does not take an owner that is only a prefix of the account', async () => {
      await connections.upsertInstallation(
        installationFactory({ accountLogin: 'prefixed-owner', repositorySelection: 'all', repositories: [] }),
      );
      expect(await connections.findActiveForRepo('prefixed/repo', ownerId)).toBeUndefined();
    });

    it.each([
      ['error', 'suspended'],
      ['revoked', 'installation_deleted'],
    ] as const)('ignores an installation in status %s', async (status, reason) => {
      const owner = `${status}-owner`;
      const selected = await connections.upsertInstallation(installationFactory({ accountLogin: owner, repositories: [`${owner}/repo`] }));
      const all = await connections.upsertInstallation(
        installationFactory({ accountLogin: owner, repositorySelection: 'all', repositories: [] }),
      );
      expect(await connections.findActiveForRepo(`${owner}/repo`, ownerId)).toBeDefined();

      await connections.setStatus(selected.externalId, status, reason);
      expect((await connections.findActiveForRepo(`${owner}/repo`, ownerId))?.externalId).toBe(all.externalId);
      await connections.setStatus(all.externalId, status, reason);

      expect(await connections.findActiveForRepo(`${owner}/repo`, ownerId)).toBeUndefined();
      expect(await connections.findInstallation(selected.externalId)).toMatchObject({ status, statusReason: reason });
    });

    it('finds a suspended installation again once it is active', async () => {
      const { installationId } = installationFactory();
      await connections.upsertInstallation(
        installationFactory({ installationId, accountLogin: 'unsuspended', repositories: ['unsuspended/repo'] }),
      );
      await connections.setStatus(installationId, 'error', 'suspended');
      await connections.setStatus(installationId, 'active', null);
      expect(await connections.findActiveForRepo('unsuspended/repo', ownerId)).toMatchObject({
        externalId: installationId,
        statusReason: null,
      });
    });
  });

  describe('changeRepositories', () => {
    it('adds and removes repositories, sorted and without duplicates', async () => {
      const record = installationFactory({ accountLogin: 'changer', repositories: ['changer/b', 'changer/old'] });
      await connections.upsertInstallation(record);

      await connections.changeRepositories(
        record.installationId,
        ['changer/c', 'changer/a', 'changer/b'],
        ['changer/old', 'changer/never-there'],
      );

      expect((await connections.findInstallation(record.installationId))?.repositories).toEqual(['changer/a', 'changer/b', 'changer/c']);
      expect((await connections.findActiveForRepo('changer/a', ownerId))?.externalId).toBe(record.installationId);
      expect(await connections.findActiveForRepo('changer/old', ownerId)).toBeUndefined();
    });

    it('records a new repository selection when given, and keeps it otherwise', async () => {
      const record = installationFactory({ accountLogin: 'switcher', repositories: ['switcher/one'] });
      await connections.upsertInstallation(record);
      expect(await connections.findActiveForRepo('switcher/later', ownerId)).toBeUndefined();

      await connections.changeRepositories(record.installationId, ['switcher/two'], [], 'all');
      expect((await connections.findInstallation(record.installationId))?.repositorySelection).toBe('all');
      expect((await connections.findActiveForRepo('switcher/later', ownerId))?.externalId).toBe(record.installationId);

      await connections.changeRepositories(record.installationId, [], ['switcher/two']);
      expect((await connections.findInstallation(record.installationId))?.repositorySelection).toBe('all');

      await connections.changeRepositories(record.installationId, [], [], 'selected');
      expect(await connections.findActiveForRepo('switcher/later', ownerId)).toBeUndefined();
      expect((await connections.findActiveForRepo('switcher/one', ownerId))?.externalId).toBe(record.installationId);
    });

    it('does nothing for an unknown installation', async () => {
      const before = await connections.list(ownerId);
      await connections.changeRepositories('404404', ['x/y'], []);
      expect(await connections.list(ownerId)).toEqual(before);
      expect(await connections.findActiveForRepo('x/y', ownerId)).toBeUndefined();
    });
  });

  it('stores a Slack workspace, records revocation with its reason, and reactivates it on re-install', async () => {
    const record = { teamId: 'T0SPEC', teamName: 'Acme', botUserId: 'U0BOT', credentials: 'v1.sealed', ownerId };
    await connections.upsertWorkspace(record);
    expect(await connections.findWorkspace('T0SPEC')).toMatchObject({ provider: 'slack', accountLogin: 'Acme', status: 'active' });
    await connections.setWorkspaceStatus('T0SPEC', 'revoked', 'app_uninstalled');
    expect(await connections.findWorkspace('T0SPEC')).toMatchObject({ status: 'revoked', statusReason: 'app_uninstalled' });
    await connections.setWorkspaceCredentials('T0SPEC', 'v1.other');
    expect((await connections.findWorkspace('T0SPEC'))?.credentials).toBe('v1.other');
    await connections.upsertWorkspace(record);
    expect(await connections.findWorkspace('T0SPEC')).toMatchObject({ status: 'active', statusReason: null, credentials: 'v1.sealed' });
    expect(await connections.findInstallation('T0SPEC')).toBeUndefined();
    const { id } = (await connections.findWorkspace('T0SPEC'))!;
    expect(await connections.delete(ownerId, id)).toBe(true);
    expect(await connections.delete(ownerId, id)).toBe(false);
    expect(await connections.findWorkspace('T0SPEC')).toBeUndefined();
  });

  it('stores an account connected with credentials, finds it by provider, kind and external id, and keeps its id on reconnect', async () => {
    const record = {
      provider: 'lark',
      kind: 'app' as const,
      externalId: 'cli_spec',
      accountLogin: 'Helper',
      botUserId: 'ou_bot',
      credentials: 'v1.sealed',
      ownerId,
    };
    const first = (await connections.upsertOwnedAccount(record))!;
    expect(first).toMatchObject({ ...record, status: 'active', statusReason: null, repositorySelection: 'all' });
    expect(await connections.findAccount('lark', 'app', 'cli_spec')).toEqual(first);
    expect(await connections.findAccount('lark', 'workspace', 'cli_spec')).toBeUndefined();
    expect(await connections.findAccount('slack', 'app', 'cli_spec')).toBeUndefined();
    const second = await connections.upsertOwnedAccount({ ...record, accountLogin: 'Renamed', credentials: 'v1.other' });
    expect(second).toMatchObject({ id: first.id, accountLogin: 'Renamed', credentials: 'v1.other' });
    expect(await connections.delete(ownerId, first.id)).toBe(true);
  });

  describe('owners', () => {
    let other: string;
    beforeAll(async () => {
      other = (await new UsersRepository(database.handle.db).upsert({ provider: 'github', externalId: '1', login: 'octocat' })).id;
    });

    it("finds, lists and deletes only the owner's connections", async () => {
      const record = installationFactory({ repositories: ['owned/repo'] });
      const row = await connections.upsertInstallation(record);

      expect((await connections.findActiveForRepo('owned/repo', ownerId))?.id).toBe(row.id);
      expect(await connections.findActiveForRepo('owned/repo', other)).toBeUndefined();
      expect((await connections.list(other)).map((c) => c.id)).not.toContain(row.id);
      expect(await connections.delete(other, row.id)).toBe(false);
      expect((await connections.list(ownerId)).map((c) => c.id)).toContain(row.id);
    });

    it('records an installation seen in an event without an owner; a later upsert with one claims it, one without keeps it', async () => {
      const record = installationFactory({ ownerId: undefined, repositories: ['claimed/repo'] });
      expect((await connections.upsertInstallation(record)).ownerId).toBeNull();
      expect(await connections.findActiveForRepo('claimed/repo', other)).toBeUndefined();

      expect((await connections.upsertInstallation({ ...record, ownerId: other })).ownerId).toBe(other);
      expect((await connections.upsertInstallation(record)).ownerId).toBe(other);
      expect((await connections.findActiveForRepo('claimed/repo', other))?.externalId).toBe(record.installationId);
    });
  });

  describe('accounts connected with credentials (upsertOwnedAccount)', () => {
    const account = (owner: string, credentials: string) => ({
      provider: 'telegram',
      kind: 'bot' as const,
      externalId: '7000001',
      accountLogin: 'openflows_test_bot',
      botUserId: '7000001',
      credentials,
      ownerId: owner,
    });

    it('inserts an account, replaces it for its owner, and leaves it alone for another owner', async () => {
      const other = (await new UsersRepository(database.handle.db).upsert({ provider: 'github', externalId: '77', login: 'mallory' })).id;
      const first = (await connections.upsertOwnedAccount(account(ownerId, 'sealed-1')))!;
      expect(first).toMatchObject({ provider: 'telegram', kind: 'bot', externalId: '7000001', status: 'active', credentials: 'sealed-1' });
      await connections.setStatusById(first.id, 'error', 'webhook_failed');
      expect(await connections.findAccount('telegram', 'bot', '7000001')).toMatchObject({
        status: 'error',
        statusReason: 'webhook_failed',
      });

      const again = (await connections.upsertOwnedAccount(account(ownerId, 'sealed-2')))!;
      expect(again).toMatchObject({ id: first.id, credentials: 'sealed-2', status: 'active', statusReason: null });
      expect(await connections.upsertOwnedAccount(account(other, 'sealed-3'))).toBeUndefined();
      expect(await connections.findAccount('telegram', 'bot', '7000001')).toMatchObject({ ownerId, credentials: 'sealed-2' });
      expect(await connections.findAccount('telegram', 'token', '7000001')).toBeUndefined();
    });
  });
});
