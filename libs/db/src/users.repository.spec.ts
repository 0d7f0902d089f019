import { CREATE_TEST_DATABASE_TIMEOUT_MS, TEST_DRIVERS, createTestDatabase, type TestDatabase } from '@openflows/test-support/database';
import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { apiTokens } from './schema';
import { LOCAL_USER, UsersRepository, hashApiToken } from './users.repository';

describe.each(TEST_DRIVERS)('UsersRepository (%s)', (driver) => {
  let database: TestDatabase;
  let users: UsersRepository;

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    users = new UsersRepository(database.handle.db);
  }, CREATE_TEST_DATABASE_TIMEOUT_MS);

  afterAll(async () => {
    await database.drop();
  });

  it('creates the local user on first use and returns the same one afterwards', async () => {
    const first = await users.local();
    expect(first).toMatchObject({ provider: 'local', externalId: LOCAL_USER, login: LOCAL_USER });
    expect((await users.local()).id).toBe(first.id);
  });

  it('keeps one user per GitHub id, following a change of login', async () => {
    const first = await users.upsert({ provider: 'github', externalId: '583231', login: 'octocat' });
    const renamed = await users.upsert({ provider: 'github', externalId: '583231', login: 'octocat-renamed' });
    expect(renamed.id).toBe(first.id);
    expect(renamed.login).toBe('octocat-renamed');
    expect((await users.upsert({ provider: 'github', externalId: '1', login: 'octocat' })).id).not.toBe(first.id);
  });

  it('issues tokens stored only as their SHA-256 hash, finds their user and records their use', async () => {
    const user = await users.upsert({ provider: 'github', externalId: '42', login: 'token-holder' });
    const { token } = await users.issueToken(user.id);
    expect(token).toMatch(/^oft_[A-Za-z0-9_-]{43}$/);

    const [row] = await database.handle.db.select().from(apiTokens).where(eq(apiTokens.userId, user.id));
    expect(row.tokenHash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(row.tokenHash).toBe(hashApiToken(token));
    expect(JSON.stringify(row)).not.toContain(token);
    expect(row.lastUsedAt).toBeNull();

    expect((await users.findByToken(token))?.id).toBe(user.id);
    const [used] = await database.handle.db.select().from(apiTokens).where(eq(apiTokens.userId, user.id));
    expect(used.lastUsedAt).toBeInstanceOf(Date);
  });

  it('tells tokens apart: each its own user, unknown or altered ones none', async () => {
    const a = await users.upsert({ provider: 'github', externalId: '100', login: 'a' });
    const b = await users.upsert({ provider: 'github', externalId: '200', login: 'b' });
    const { token: tokenA } = await users.issueToken(a.id);
    const { token: tokenB } = await users.issueToken(b.id);
    expect(tokenA).not.toBe(tokenB);

    expect((await users.findByToken(tokenA))?.id).toBe(a.id);
    expect((await users.findByToken(tokenB))?.id).toBe(b.id);
    expect(await users.findByToken(`${tokenA.slice(0, -1)}x`)).toBeUndefined();
    expect(await users.findByToken(hashApiToken(tokenA))).toBeUndefined();
  });

  it("lists a user's tokens by name without the token, and revokes only the owner's own", async () => {
    const owner = await users.upsert({ provider: 'github', externalId: '300', login: 'lister' });
    const other = await users.upsert({ provider: 'github', externalId: '301', login: 'other' });
    const laptop = await users.issueToken(owner.id, 'laptop CLI');
    const ci = await users.issueToken(owner.id, 'CI');

    const listed = await users.listTokens(owner.id);
    expect(listed.map((t) => t.name).sort()).toEqual(['CI', 'laptop CLI']);
    expect(JSON.stringify(listed)).not.toContain(laptop.token);

    expect(await users.revokeToken(other.id, laptop.id)).toBe(false);
    expect(await users.revokeToken(owner.id, laptop.id)).toBe(true);
    expect(await users.findByToken(laptop.token)).toBeUndefined();
    expect((await users.findByToken(ci.token))?.id).toBe(owner.id);
    expect(await users.listTokens(other.id)).toEqual([]);
  });

  it('sets up the local account once, keeping the local user and what it owns', async () => {
    const local = await users.local();
    expect(await users.hasLocalAccount()).toBe(false);

    const account = await users.setUpLocalAccount('admin', '$argon2id$hash');
    expect(account).toMatchObject({ id: local.id, login: 'admin', admin: true, passwordHash: '$argon2id$hash' });
    expect(await users.hasLocalAccount()).toBe(true);
    expect((await users.findLocalAccount('admin'))?.id).toBe(local.id);
    expect(await users.findLocalAccount('someone-else')).toBeUndefined();

    expect(await users.setUpLocalAccount('intruder', '$argon2id$other')).toBeUndefined();
    expect((await users.findById(local.id))?.login).toBe('admin');
  });
});
