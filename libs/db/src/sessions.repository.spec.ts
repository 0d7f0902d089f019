import { CREATE_TEST_DATABASE_TIMEOUT_MS, TEST_DRIVERS, createTestDatabase, type TestDatabase } from '@openflows/test-support/database';
import { sessions } from './schema';
import { SessionsRepository } from './sessions.repository';
import { UsersRepository } from './users.repository';

describe.each(TEST_DRIVERS)('SessionsRepository (%s)', (driver) => {
  let database: TestDatabase;
  let repository: SessionsRepository;
  let users: UsersRepository;

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    repository = new SessionsRepository(database.handle.db);
    users = new UsersRepository(database.handle.db);
  }, CREATE_TEST_DATABASE_TIMEOUT_MS);

  afterAll(async () => {
    await database.drop();
  });

  it('finds the user of a live session, stores only the hash, and forgets it on sign-out', async () => {
    const user = await users.upsert({ provider: 'github', externalId: '9', login: 'browser' });
    const token = await repository.create(user.id, 60_000);

    expect((await repository.findUser(token))?.login).toBe('browser');
    expect(await repository.findUser(`${token}x`)).toBeUndefined();
    expect(JSON.stringify(await database.handle.db.select().from(sessions))).not.toContain(token);

    await repository.delete(token);
    expect(await repository.findUser(token)).toBeUndefined();
  });

  it('does not accept an expired session and deletes expired ones', async () => {
    const user = await users.upsert({ provider: 'github', externalId: '10', login: 'expired' });
    const token = await repository.create(user.id, -1);
    const live = await repository.create(user.id, 60_000);

    expect(await repository.findUser(token)).toBeUndefined();
    expect(await repository.deleteExpired()).toBeGreaterThanOrEqual(1);
    expect((await repository.findUser(live))?.id).toBe(user.id);
  });
});
