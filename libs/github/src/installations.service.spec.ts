import { CREATE_TEST_DATABASE_TIMEOUT_MS, TEST_DRIVERS, createTestDatabase, type TestDatabase } from '@openflows/test-support/database';
import { examplePayload } from '@openflows/test-support/github-webhooks';
import { Logger } from '@nestjs/common';
import { loadConfig } from '@openflows/common';
import { ConnectionsRepository, UsersRepository } from '@openflows/db';
import { InstallationsService } from './installations.service';

/** GitHub's example payload for `event`/`action`, delivered to installation `id` when given. */
function payloadFor(event: string, action: string, id?: number) {
  const payload = examplePayload(event, action);
  if (id !== undefined) payload.installation.id = id;
  return payload;
}

describe.each(TEST_DRIVERS)('InstallationsService (%s)', (driver) => {
  let database: TestDatabase;
  let connections: ConnectionsRepository;
  let installations: InstallationsService;
  let users: UsersRepository;
  /** Single-user mode: installations seen in events belong to the local user. */
  let ownerId: string;
  let nextId = 5_000_000;

  beforeAll(async () => {
    Logger.overrideLogger(false); // "action … ignored" debug lines
    database = await createTestDatabase(driver);
    connections = new ConnectionsRepository(database.handle.db);
    users = new UsersRepository(database.handle.db);
    installations = new InstallationsService(loadConfig({}), connections, users);
    ownerId = (await users.local()).id;
  }, CREATE_TEST_DATABASE_TIMEOUT_MS);

  afterAll(async () => {
    await database.drop();
  });

  /**
   * Applies installation.created (GitHub's example: Codertocat, selected, Codertocat/Hello-World) under
   * a fresh id, optionally for another repository than Hello-World.
   */
  async function installed(fullName?: string): Promise<string> {
    const id = ++nextId;
    const payload = payloadFor('installation', 'created', id);
    if (fullName) payload.repositories = [{ ...payload.repositories[0], name: fullName.split('/')[1], full_name: fullName }];
    await installations.apply('installation', payload);
    return String(id);
  }

  it('handles installation and installation_repositories events only', () => {
    expect(installations.handles('installation')).toBe(true);
    expect(installations.handles('installation_repositories')).toBe(true);
    expect(installations.handles('issues')).toBe(false);
    expect(installations.handles('installation_target')).toBe(false);
  });

  it('records installation.created as an active connection with lower-case repositories', async () => {
    const payload = payloadFor('installation', 'created');
    await installations.apply('installation', payload);

    const row = await connections.findInstallation(String(payload.installation.id));
    expect(row).toMatchObject({
      provider: 'github',
      externalId: '957387',
      accountLogin: 'Codertocat',
      accountType: 'User',
      repositorySelection: 'selected',
      repositories: ['codertocat/hello-world'],
      permissions: payload.installation.permissions,
      status: 'active',
    });
    expect((await connections.findActiveForRepo('codertocat/hello-world', ownerId))?.externalId).toBe('957387');
    expect(await connections.findActiveForRepo('codertocat/space', ownerId)).toBeUndefined();
  });

  it('adds the repositories of installation_repositories.added', async () => {
    const id = await installed();
    await installations.apply('installation_repositories', payloadFor('installation_repositories', 'added', Number(id)));

    expect((await connections.findInstallation(id))?.repositories).toEqual(['codertocat/hello-world', 'codertocat/space']);
  });

  it('removes the repositories of installation_repositories.removed', async () => {
    const id = await installed();
    const removed = payloadFor('installation_repositories', 'removed', Number(id));
    removed.repositories_removed = [{ ...removed.repositories_removed[0], full_name: 'Codertocat/Hello-World' }];
    await installations.apply('installation_repositories', removed);

    expect((await connections.findInstallation(id))?.repositories).toEqual([]);
  });

  it('follows a switch to "all repositories" and back (repository_selection of installation_repositories)', async () => {
    const id = await installed();
    const toAll = payloadFor('installation_repositories', 'added', Number(id));
    toAll.repository_selection = 'all';
    toAll.installation.repository_selection = 'all';
    await installations.apply('installation_repositories', toAll);
    expect((await connections.findInstallation(id))?.repositorySelection).toBe('all');

    const toSelected = payloadFor('installation_repositories', 'removed', Number(id));
    toSelected.repository_selection = 'selected';
    toSelected.installation.repository_selection = 'selected';
    toSelected.repositories_removed = [{ ...toSelected.repositories_removed[0], full_name: 'Codertocat/Space' }];
    await installations.apply('installation_repositories', toSelected);

    const row = await connections.findInstallation(id);
    expect(row?.repositorySelection).toBe('selected');
    expect(row?.repositories).toEqual(['codertocat/hello-world']);
  });

  it('marks installation.deleted as revoked, keeps the row and stops covering its repositories', async () => {
    const id = await installed('Codertocat/To-Be-Deleted');
    expect((await connections.findActiveForRepo('codertocat/to-be-deleted', ownerId))?.externalId).toBe(id);

    await installations.apply('installation', payloadFor('installation', 'deleted', Number(id)));

    expect(await connections.findInstallation(id)).toMatchObject({ status: 'revoked', statusReason: 'installation_deleted' });
    expect(await connections.findActiveForRepo('codertocat/to-be-deleted', ownerId)).toBeUndefined();
  });

  it('records the permissions of new_permissions_accepted and keeps the repositories', async () => {
    const id = await installed('Codertocat/Grown');
    await connections.setPermissions(id, { issues: 'write' });
    const accepted = payloadFor('installation', 'new_permissions_accepted', Number(id));
    accepted.repositories = [];
    await installations.apply('installation', accepted);

    expect(await connections.findInstallation(id)).toMatchObject({
      permissions: accepted.installation.permissions,
      repositories: ['codertocat/grown'],
      status: 'active',
    });
    expect(accepted.installation.permissions.pull_requests).toBe('write');
  });

  it('suspends and unsuspends', async () => {
    const id = await installed('Codertocat/Suspended');
    await installations.apply('installation', payloadFor('installation', 'suspend', Number(id)));
    expect(await connections.findInstallation(id)).toMatchObject({ status: 'error', statusReason: 'suspended' });
    expect(await connections.findActiveForRepo('codertocat/suspended', ownerId)).toBeUndefined();

    await installations.apply('installation', payloadFor('installation', 'unsuspend', Number(id)));
    expect(await connections.findInstallation(id)).toMatchObject({ status: 'active', statusReason: null });
    expect((await connections.findActiveForRepo('codertocat/suspended', ownerId))?.externalId).toBe(id);
  });

  it('creates nothing for a deletion or repository change of an unknown installation', async () => {
    const before = await connections.list(ownerId);
    await installations.apply('installation', payloadFor('installation', 'deleted', 404));
    await installations.apply('installation_repositories', payloadFor('installation_repositories', 'added', 405));
    expect(await connections.list(ownerId)).toEqual(before);
    expect(await connections.findInstallation('404')).toBeUndefined();
    expect(await connections.findInstallation('405')).toBeUndefined();
  });

  it('ignores actions it does not know and payloads without installation', async () => {
    const id = await installed();
    const before = await connections.findInstallation(id);
    await installations.apply('installation', { ...payloadFor('installation', 'created', Number(id)), action: 'something_new' });
    await installations.apply('installation', { action: 'deleted' });
    expect(await connections.findInstallation(id)).toEqual(before);
  });

  it('leaves an installation seen in an event unowned when users sign in, and keeps the owner who claimed it', async () => {
    const signIn = new InstallationsService(loadConfig({ GITHUB_CLIENT_ID: 'Iv1.x', GITHUB_CLIENT_SECRET: 's' }), connections, users);
    const id = ++nextId;
    await signIn.apply('installation', payloadFor('installation', 'created', id));
    expect((await connections.findInstallation(String(id)))?.ownerId).toBeNull();

    const claimer = await users.upsert({ provider: 'github', externalId: '21031067', login: 'Codertocat' });
    await connections.upsertInstallation({
      installationId: String(id),
      accountLogin: 'Codertocat',
      repositorySelection: 'selected',
      repositories: [],
      permissions: {},
      status: 'active',
      ownerId: claimer.id,
    });
    await signIn.apply('installation', payloadFor('installation', 'created', id));
    expect((await connections.findInstallation(String(id)))?.ownerId).toBe(claimer.id);
  });
});
