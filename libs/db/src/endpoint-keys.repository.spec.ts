import { CREATE_TEST_DATABASE_TIMEOUT_MS, TEST_DRIVERS, createTestDatabase, type TestDatabase } from '@openflows/test-support/database';
import { EndpointKeysRepository } from './endpoint-keys.repository';
import { FlowsRepository } from './flows.repository';
import { UsersRepository } from './users.repository';

const http = (target: string, options?: Record<string, unknown>) => ({
  provider: 'http',
  target,
  event: 'request',
  ...(options ? { options } : {}),
});

describe.each(TEST_DRIVERS)('EndpointKeysRepository (%s)', (driver) => {
  let database: TestDatabase;
  let flows: FlowsRepository;
  let keys: EndpointKeysRepository;
  let ownerId: string;

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    flows = new FlowsRepository(database.handle.db);
    keys = new EndpointKeysRepository(database.handle.db);
    ownerId = (await new UsersRepository(database.handle.db).local()).id;
  }, CREATE_TEST_DATABASE_TIMEOUT_MS);

  afterAll(async () => {
    await database.drop();
  });

  const deploy = (name: string, subscriptions: ReturnType<typeof http>[]) =>
    flows.deploy({ ownerId, name, bundle: 'exports.run = async () => {};', env: {}, subscriptions });

  it('stores a key per (flow, endpoint) once: later calls keep it', async () => {
    const { flow } = await deploy('keys-kept', [http('api'), http('hooks')]);
    const first = await keys.ensure(flow.id, { api: 'key-api-1', hooks: 'key-hooks-1' });
    expect(first).toEqual({ api: 'key-api-1', hooks: 'key-hooks-1' });
    expect(await keys.ensure(flow.id, { api: 'key-api-2' })).toEqual({ api: 'key-api-1' });
    expect(await keys.ensure(flow.id, {})).toEqual({});
  });

  it("resolves a key to its flow, live while the flow's deployment declares the endpoint, with its options", async () => {
    const { flow } = await deploy('keys-live', [http('api', { auth: { bearer: 'token' } })]);
    await keys.ensure(flow.id, { api: 'key-live-api', gone: 'key-live-gone' });
    expect(await keys.findByKey('key-live-api', 'http')).toMatchObject({
      endpoint: 'api',
      flow: { id: flow.id, ownerId },
      live: true,
      options: { auth: { bearer: 'token' } },
    });
    expect(await keys.findByKey('key-live-gone', 'http')).toMatchObject({ endpoint: 'gone', live: false, options: null });
    expect(await keys.findByKey('key-live-api', 'github')).toMatchObject({ live: false });
    await flows.undeploy(ownerId, 'keys-live');
    expect(await keys.findByKey('key-live-api', 'http')).toMatchObject({ live: false });
    expect(await keys.findByKey('no-such-key', 'http')).toBeUndefined();
  });

  it('rotates a key: the old one resolves to nothing, the new one to the endpoint', async () => {
    const { flow } = await deploy('keys-rotated', [http('api')]);
    await keys.ensure(flow.id, { api: 'key-rotate-old' });
    expect(await keys.rotate(flow.id, 'api', 'key-rotate-new')).toBe(true);
    expect(await keys.findByKey('key-rotate-old', 'http')).toBeUndefined();
    expect(await keys.findByKey('key-rotate-new', 'http')).toMatchObject({ endpoint: 'api', live: true });
    expect(await keys.rotate(flow.id, 'other', 'key-rotate-x')).toBe(false);
  });

  it('loses the keys with the flow when it is purged', async () => {
    const { flow } = await deploy('keys-purged', [http('api')]);
    await keys.ensure(flow.id, { api: 'key-purged' });
    await flows.purge(ownerId, 'keys-purged');
    expect(await keys.findByKey('key-purged', 'http')).toBeUndefined();
  });
});
