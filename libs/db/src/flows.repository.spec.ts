import { CREATE_TEST_DATABASE_TIMEOUT_MS, TEST_DRIVERS, createTestDatabase, type TestDatabase } from '@openflows/test-support/database';
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { EventsRepository } from './events.repository';
import { FlowsRepository, type SubscriptionSpec } from './flows.repository';
import { RunsRepository } from './runs.repository';
import { deployments, runLogs, runs, subscriptions } from './schema';
import { UsersRepository } from './users.repository';

const sub = (event: string, target = 'octo/hello'): SubscriptionSpec => ({ provider: 'github', target, event });
/** `sub(…)` as stored and read back: registered unless deployed otherwise. */
const stored = (event: string, target?: string, registered = true) => ({ ...sub(event, target), registered });

/** The owner of the flows these tests deploy unless they say otherwise (a user made in beforeAll). */
let ownerId: string;

/** A deploy input for `name` of {@link ownerId}; one `issues` subscription on octo/hello unless overridden. */
const deployment = (name: string, overrides: Partial<Parameters<FlowsRepository['deploy']>[0]> = {}) => ({
  ownerId,
  name,
  bundle: `exports.run = async () => {}; // ${name}`,
  env: { owner: 'octo' },
  subscriptions: [sub('issues')],
  ...overrides,
});

let flowCount = 0;
/** A flow name no other test of this file uses. */
const uniqueName = () => `flow-${++flowCount}`;

describe.each(TEST_DRIVERS)('FlowsRepository (%s)', (driver) => {
  let database: TestDatabase;
  let flows: FlowsRepository;

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    flows = new FlowsRepository(database.handle.db);
    ownerId = (await new UsersRepository(database.handle.db).local()).id;
  }, CREATE_TEST_DATABASE_TIMEOUT_MS);

  afterAll(async () => {
    await database.drop();
  });

  const statuses = async (flowId: string) =>
    (await database.handle.db.select().from(deployments).where(eq(deployments.flowId, flowId)).orderBy(deployments.version)).map((d) => [
      d.version,
      d.status,
    ]);

  it('creates the flow with version 1 live on first deploy', async () => {
    const name = uniqueName();
    const detail = await flows.deploy(deployment(name, { subscriptions: [sub('issues'), sub('issue_comment')] }));

    expect(detail.flow.name).toBe(name);
    expect(detail.flow.activeDeploymentId).toBe(detail.deployment!.id);
    expect(detail.deployment).toMatchObject({ version: 1, status: 'active', env: { owner: 'octo' } });
    expect(detail.deployment).not.toHaveProperty('bundle');

    const found = await flows.findByName(ownerId, name);
    expect(found?.flow.id).toBe(detail.flow.id);
    expect(found?.deployment).toMatchObject({ id: detail.deployment!.id, version: 1 });
    expect(found?.subscriptions).toEqual(expect.arrayContaining([stored('issues'), stored('issue_comment')]));
    expect(found?.subscriptions).toHaveLength(2);
    expect((await flows.findDeployment(detail.deployment!.id))?.bundle).toBe(`exports.run = async () => {}; // ${name}`);
  });

  it('makes v2 live on redeploy, supersedes v1 and switches the subscriptions', async () => {
    const name = uniqueName();
    const target = `octo/${name}`;
    const v1 = await flows.deploy(deployment(name, { subscriptions: [sub('issues', target)] }));
    expect(await flows.match('github', target, 'issues', ownerId)).toEqual([{ flowId: v1.flow.id, deploymentId: v1.deployment!.id }]);

    const v2 = await flows.deploy(deployment(name, { bundle: 'v2', subscriptions: [sub('issue_comment', target)] }));

    expect(v2.flow.id).toBe(v1.flow.id);
    expect(v2.deployment).toMatchObject({ version: 2, status: 'active' });
    expect(await statuses(v1.flow.id)).toEqual([
      [1, 'superseded'],
      [2, 'active'],
    ]);
    expect(await flows.match('github', target, 'issues', ownerId)).toEqual([]);
    expect(await flows.match('github', target, 'issue_comment', ownerId)).toEqual([
      { flowId: v1.flow.id, deploymentId: v2.deployment!.id },
    ]);
    expect((await flows.findByName(ownerId, name))?.subscriptions).toEqual([stored('issue_comment', target)]);
  });

  it('leaves v1 live when a redeploy fails half-way (one transaction)', async () => {
    const name = uniqueName();
    const target = `octo/${name}`;
    const v1 = await flows.deploy(deployment(name, { subscriptions: [sub('issues', target)] }));
    // A subscription without an event violates NOT NULL after the deployment row was written.
    const broken = [sub('issue_comment', target), { provider: 'github', target, event: null as unknown as string }];

    await expect(flows.deploy(deployment(name, { subscriptions: broken }))).rejects.toThrow();

    expect(await statuses(v1.flow.id)).toEqual([[1, 'active']]);
    expect((await flows.findById(v1.flow.id))?.activeDeploymentId).toBe(v1.deployment!.id);
    expect(await flows.match('github', target, 'issues', ownerId)).toEqual([{ flowId: v1.flow.id, deploymentId: v1.deployment!.id }]);
    expect(await flows.match('github', target, 'issue_comment', ownerId)).toEqual([]);
    expect(await database.handle.db.select().from(subscriptions).where(eq(subscriptions.flowId, v1.flow.id))).toHaveLength(1);
  });

  it('numbers concurrent deploys of one flow without gaps and leaves exactly the last one live', async () => {
    const name = uniqueName();
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => flows.deploy(deployment(name, { bundle: `v${i}` }))));

    const flowId = results[0].flow.id;
    const rows = await statuses(flowId);
    expect(rows.map(([version]) => version)).toEqual([1, 2, 3, 4, 5]);
    expect(rows.filter(([, status]) => status === 'active')).toEqual([[5, 'active']]);
    const live = await flows.findByName(ownerId, name);
    expect(live?.deployment?.version).toBe(5);
    expect(await flows.match('github', 'octo/hello', 'issues', ownerId)).toContainEqual({ flowId, deploymentId: live!.deployment!.id });
  });

  it('matches only on provider, target and event together', async () => {
    const name = uniqueName();
    const target = `octo/${name}`;
    const { flow } = await flows.deploy(deployment(name, { subscriptions: [sub('issues', target)] }));
    expect(await flows.match('github', target, 'issues', ownerId)).toHaveLength(1);
    expect(await flows.match('github', target, 'push', ownerId)).toEqual([]);
    expect(await flows.match('github', `octo/${name}-other`, 'issues', ownerId)).toEqual([]);
    expect(await flows.match('slack', target, 'issues', ownerId)).toEqual([]);
    expect((await flows.match('github', target, 'issues', ownerId))[0].flowId).toBe(flow.id);
  });

  it('matches every live flow subscribed to the event, once each', async () => {
    const target = `octo/shared-${uniqueName()}`;
    const a = await flows.deploy(deployment(uniqueName(), { subscriptions: [sub('issues', target)] }));
    const b = await flows.deploy(deployment(uniqueName(), { subscriptions: [sub('issues', target), sub('issues', target)] }));
    const matched = await flows.match('github', target, 'issues', ownerId);
    expect(matched).toHaveLength(2);
    expect(matched).toEqual(
      expect.arrayContaining([
        { flowId: a.flow.id, deploymentId: a.deployment!.id },
        { flowId: b.flow.id, deploymentId: b.deployment!.id },
      ]),
    );
  });

  it('stops matching on undeploy but keeps the flow and its history', async () => {
    const name = uniqueName();
    const target = `octo/${name}`;
    const v1 = await flows.deploy(deployment(name, { subscriptions: [sub('issues', target)] }));

    expect(await flows.undeploy(ownerId, name)).toBe(true);

    expect(await flows.match('github', target, 'issues', ownerId)).toEqual([]);
    const kept = await flows.findByName(ownerId, name);
    expect(kept?.flow.id).toBe(v1.flow.id);
    expect(kept?.flow.activeDeploymentId).toBeNull();
    expect(kept?.deployment).toBeUndefined();
    expect(kept?.subscriptions).toEqual([]);
    expect(await statuses(v1.flow.id)).toEqual([[1, 'undeployed']]);
    expect(await flows.findDeployment(v1.deployment!.id)).toBeDefined();
  });

  it('is idempotent on undeploy and false for an unknown flow', async () => {
    const name = uniqueName();
    await flows.deploy(deployment(name));
    expect(await flows.undeploy(ownerId, name)).toBe(true);
    expect(await flows.undeploy(ownerId, name)).toBe(true);
    expect(await flows.undeploy(ownerId, 'no-such-flow')).toBe(false);
  });

  it('deploys again after an undeploy as the next version', async () => {
    const name = uniqueName();
    const target = `octo/${name}`;
    const v1 = await flows.deploy(deployment(name, { subscriptions: [sub('issues', target)] }));
    await flows.undeploy(ownerId, name);
    const v2 = await flows.deploy(deployment(name, { subscriptions: [sub('issues', target)] }));

    expect(v2.deployment?.version).toBe(2);
    expect(await statuses(v1.flow.id)).toEqual([
      [1, 'undeployed'],
      [2, 'active'],
    ]);
    expect(await flows.match('github', target, 'issues', ownerId)).toEqual([{ flowId: v1.flow.id, deploymentId: v2.deployment!.id }]);
  });

  it('lists flows with their live deployment', async () => {
    const live = uniqueName();
    const stopped = uniqueName();
    await flows.deploy(deployment(live));
    await flows.deploy(deployment(stopped));
    await flows.undeploy(ownerId, stopped);

    const listed = await flows.list(ownerId);
    const byName = new Map(listed.map((d) => [d.flow.name, d]));
    expect(byName.get(live)?.deployment?.status).toBe('active');
    expect(byName.get(live)?.subscriptions).toEqual([stored('issues')]);
    expect(byName.get(stopped)?.deployment).toBeUndefined();
    expect(await flows.findByName(ownerId, 'no-such-flow')).toBeUndefined();
  });

  describe('registration', () => {
    it('stores registered as deployed, true by default, and matches either way', async () => {
      const name = uniqueName();
      const target = `octo/${name}`;
      const detail = await flows.deploy(
        deployment(name, { subscriptions: [{ ...sub('issues', target), registered: false }, sub('issues', `${target}-ok`)] }),
      );
      const expected = [stored('issues', target, false), stored('issues', `${target}-ok`)];
      expect(detail.subscriptions).toEqual(expected);
      expect((await flows.findByName(ownerId, name))?.subscriptions).toEqual(expect.arrayContaining(expected));
      expect(await flows.match('github', target, 'issues', ownerId)).toHaveLength(1);
    });

    it('lists the distinct live targets of a provider with their registration', async () => {
      const name = uniqueName();
      const target = `octo/${name}`;
      await flows.deploy(
        deployment(name, {
          subscriptions: [
            { ...sub('issues', target), registered: false },
            { ...sub('push', target), registered: false },
          ],
        }),
      );
      const gone = uniqueName();
      await flows.deploy(deployment(gone, { subscriptions: [sub('issues', `octo/${gone}`)] }));
      await flows.undeploy(ownerId, gone);

      const targets = await flows.liveTargets('github');
      expect(targets.filter((t) => t.target === target)).toEqual([{ ownerId, target, registered: false }]);
      expect(targets.some((t) => t.target === `octo/${gone}`)).toBe(false);
      expect(await flows.liveTargets('slack')).toEqual([]);
    });

    it('marks every subscription to a target registered, and back, counting the changed ones', async () => {
      const target = `octo/${uniqueName()}`;
      const a = uniqueName();
      const b = uniqueName();
      await flows.deploy(deployment(a, { subscriptions: [{ ...sub('issues', target), registered: false }] }));
      await flows.deploy(
        deployment(b, {
          subscriptions: [
            { ...sub('issues', target), registered: false },
            { ...sub('push', target), registered: false },
          ],
        }),
      );

      expect(await flows.setRegistered(ownerId, 'github', target, true)).toBe(3);
      expect(await flows.setRegistered(ownerId, 'github', target, true)).toBe(0);
      expect((await flows.findByName(ownerId, b))?.subscriptions.every((s) => s.registered)).toBe(true);
      expect(await flows.setRegistered(ownerId, 'github', target, false)).toBe(3);
      expect((await flows.findByName(ownerId, a))?.subscriptions).toEqual([stored('issues', target, false)]);
    });
  });
  describe('owners', () => {
    let other: string;
    beforeAll(async () => {
      other = (await new UsersRepository(database.handle.db).upsert({ provider: 'github', externalId: '583231', login: 'octocat' })).id;
    });

    it("keeps owners' flows apart: the same name twice, each owner finding, listing and undeploying only its own", async () => {
      const name = uniqueName();
      const mine = await flows.deploy(deployment(name));
      const theirs = await flows.deploy(deployment(name, { ownerId: other, bundle: 'theirs' }));

      expect(theirs.flow.id).not.toBe(mine.flow.id);
      expect((await flows.findByName(ownerId, name))?.flow.id).toBe(mine.flow.id);
      expect((await flows.findByName(other, name))?.flow.id).toBe(theirs.flow.id);
      expect((await flows.list(other)).map((d) => d.flow.id)).toEqual([theirs.flow.id]);
      expect((await flows.list(ownerId)).map((d) => d.flow.id)).not.toContain(theirs.flow.id);

      expect(await flows.undeploy(other, name)).toBe(true);
      expect((await flows.findByName(ownerId, name))?.deployment?.status).toBe('active');
      expect(await flows.undeploy(other, uniqueName())).toBe(false);
    });

    it("registers only the given owner's subscriptions, and matches one owner's flows when asked", async () => {
      const target = `octo/${uniqueName()}`;
      const mine = await flows.deploy(deployment(uniqueName(), { subscriptions: [{ ...sub('issues', target), registered: false }] }));
      const theirs = await flows.deploy(
        deployment(uniqueName(), { ownerId: other, subscriptions: [{ ...sub('issues', target), registered: false }] }),
      );

      expect(await flows.setRegistered(other, 'github', target, true)).toBe(1);
      expect((await flows.findByName(ownerId, mine.flow.name))?.subscriptions).toEqual([stored('issues', target, false)]);
      expect((await flows.liveTargets('github')).filter((t) => t.target === target)).toEqual(
        expect.arrayContaining([
          { ownerId, target, registered: false },
          { ownerId: other, target, registered: true },
        ]),
      );
      expect((await flows.match('github', target, 'issues', other)).map((m) => m.flowId)).toEqual([theirs.flow.id]);
      expect((await flows.match('github', target, 'issues', ownerId)).map((m) => m.flowId)).toEqual([mine.flow.id]);
    });
  });

  describe('builds', () => {
    const gitSource = { kind: 'git' as const, url: 'https://example.test/flows.git', branch: 'main' };
    // Not in jsonb's key order (shorter keys first): the declared order must survive.
    const variables = { repository_owner: { description: 'Repository owner', required: true }, tone: {} };

    it('records a building deployment beside the live one, then makes it live with its bundle and subscriptions', async () => {
      const name = uniqueName();
      const v1 = await flows.deploy(deployment(name, { buildLog: 'bundle received\n' }));
      expect(v1.deployment).toMatchObject({ source: { kind: 'bundle' }, buildLog: 'bundle received\n' });
      expect(v1.deployment!.finishedAt).toBeInstanceOf(Date);

      const building = await flows.startBuild({ ownerId, name, env: { owner: 'octo' }, source: gitSource });
      expect(building.latest).toMatchObject({ version: 2, status: 'building', source: gitSource });
      expect(building.deployment?.version).toBe(1);
      const id = building.latest!.id;
      await flows.appendBuildLog(id, 'cloned\n');
      await flows.appendBuildLog(id, 'bundled\n');
      await flows.updateSource(id, { ...gitSource, commit: 'abc123', variables });
      expect(await flows.match('github', 'octo/hello', 'issues', ownerId)).toContainEqual({
        flowId: v1.flow.id,
        deploymentId: v1.deployment!.id,
      });

      const live = await flows.activate(id, 'exports.run = async () => {};', [sub('push')]);
      expect(live?.deployment).toMatchObject({ id, version: 2, status: 'active', buildLog: 'cloned\nbundled\n' });
      expect(live?.latest?.id).toBe(id);
      expect(live?.variables).toEqual(variables);
      expect(Object.keys(live!.variables)).toEqual(['repository_owner', 'tone']);
      expect((await flows.listDeployments(ownerId, name))?.deployments[0].source).toEqual({ ...gitSource, commit: 'abc123', variables });
      expect(live?.subscriptions).toEqual([stored('push')]);
      expect(await statuses(v1.flow.id)).toEqual([
        [1, 'superseded'],
        [2, 'active'],
      ]);
      expect(await flows.activate(id, 'again', [])).toBeUndefined();
    });

    it('keeps the live deployment when a build fails, and shows the failure as the latest', async () => {
      const name = uniqueName();
      const v1 = await flows.deploy(deployment(name));
      const { latest } = await flows.startBuild({ ownerId, name, env: {}, source: gitSource });
      expect(await flows.failBuild(latest!.id, 'missing variable owner')).toBe(true);
      expect(await flows.failBuild(latest!.id, 'twice')).toBe(false);

      const detail = await flows.findByName(ownerId, name);
      expect(detail?.deployment?.id).toBe(v1.deployment!.id);
      expect(detail?.latest).toMatchObject({ version: 2, status: 'failed', error: 'missing variable owner' });
      expect(detail?.latest?.finishedAt).toBeInstanceOf(Date);
      expect(await flows.activate(latest!.id, 'late', [])).toBeUndefined();
    });

    it('fails builds left behind by a dead process, and builds cancelled by an undeploy never go live', async () => {
      const left = await flows.startBuild({ ownerId, name: uniqueName(), env: {}, source: gitSource });
      const name = uniqueName();
      await flows.deploy(deployment(name));
      const cancelled = await flows.startBuild({ ownerId, name, env: {}, source: gitSource });
      expect(await flows.undeploy(ownerId, name)).toBe(true);
      expect(await flows.activate(cancelled.latest!.id, 'late', [])).toBeUndefined();
      expect((await flows.findByName(ownerId, name))?.latest).toMatchObject({
        status: 'failed',
        error: expect.stringContaining('undeployed'),
      });

      expect(await flows.failInterruptedBuilds('interrupted')).toBeGreaterThanOrEqual(1);
      expect((await flows.findByName(ownerId, left.flow.name))?.latest).toMatchObject({ status: 'failed', error: 'interrupted' });
    });

    it('keeps the variables of the newest source that declared some when a CLI bundle follows', async () => {
      const name = uniqueName();
      const { latest } = await flows.startBuild({ ownerId, name, env: {}, source: { ...gitSource, variables } });
      await flows.activate(latest!.id, 'exports.run = async () => {};', [sub('issues')]);
      await flows.deploy(deployment(name));
      const detail = await flows.findByName(ownerId, name);
      expect(detail?.latest).toMatchObject({ version: 2, source: { kind: 'bundle' } });
      expect(detail?.variables).toEqual(variables);
      expect((await flows.latestBundle(detail!.flow.id))?.version).toBe(2);
    });

    it('lists deployments newest first and finds one by version with its build log, for its owner only', async () => {
      const name = uniqueName();
      await flows.deploy(deployment(name, { buildLog: 'v1 log' }));
      await flows.deploy(deployment(name, { buildLog: 'v2 log' }));
      const listed = await flows.listDeployments(ownerId, name);
      expect(listed?.deployments.map((d) => [d.version, d.status])).toEqual([
        [2, 'active'],
        [1, 'superseded'],
      ]);
      expect(listed?.deployments[0]).not.toHaveProperty('buildLog');
      expect(listed?.deployments[0]).not.toHaveProperty('bundle');
      expect((await flows.findDeploymentByVersion(ownerId, name, 1))?.deployment).toMatchObject({ version: 1, buildLog: 'v1 log' });
      expect(await flows.findDeploymentByVersion(ownerId, name, 3)).toBeUndefined();
      const other = (await new UsersRepository(database.handle.db).upsert({ provider: 'github', externalId: '9001', login: 'mallory' })).id;
      expect(await flows.listDeployments(other, name)).toBeUndefined();
      expect(await flows.findDeploymentByVersion(other, name, 1)).toBeUndefined();
    });
  });

  describe('pause and purge', () => {
    it('a paused flow keeps its live deployment but matches no event until resumed', async () => {
      const name = uniqueName();
      const target = `octo/${name}`;
      const { flow } = await flows.deploy(deployment(name, { subscriptions: [sub('issues', target)] }));
      const paused = await flows.setPaused(ownerId, name, true);
      expect(paused?.flow.pausedAt).toBeInstanceOf(Date);
      expect(paused?.deployment?.status).toBe('active');
      expect(await flows.match('github', target, 'issues', ownerId)).toEqual([]);
      expect((await flows.setPaused(ownerId, name, true))?.flow.pausedAt).toEqual(paused?.flow.pausedAt);

      expect((await flows.setPaused(ownerId, name, false))?.flow.pausedAt).toBeNull();
      expect((await flows.match('github', target, 'issues', ownerId)).map((m) => m.flowId)).toEqual([flow.id]);
      expect(await flows.setPaused(ownerId, uniqueName(), true)).toBeUndefined();
    });

    it("lists a paused flow's live subscriptions, except when asked for unpaused flows only", async () => {
      const name = uniqueName();
      const schedule = { provider: 'schedule', target: `every ${flowCount}000`, event: 'tick', options: { every: flowCount * 1000 } };
      await flows.deploy(deployment(name, { subscriptions: [schedule] }));
      const live = (filter?: { unpaused?: boolean }) => flows.liveSubscriptions('schedule', ownerId, filter);
      const declared = { target: schedule.target, event: 'tick', options: schedule.options };
      expect(await live({ unpaused: true })).toContainEqual(declared);
      await flows.setPaused(ownerId, name, true);
      expect(await live()).toContainEqual(declared);
      expect(await live({ unpaused: true })).not.toContainEqual(declared);
    });

    it('purges the flow with its deployments, subscriptions, runs and run logs; events stay', async () => {
      const name = uniqueName();
      const { flow, deployment: live } = await flows.deploy(deployment(name));
      const event = await new EventsRepository(database.handle.db).record({
        provider: 'github',
        deliveryId: randomUUID(),
        name: 'issues',
        action: 'opened',
        target: 'octo/hello',
        conversationKey: 'octo/hello#1',
        payload: {},
      });
      const runsRepository = new RunsRepository(database.handle.db);
      const [run] = await runsRepository.createQueued(event.id, [{ flowId: flow.id, deploymentId: live!.id }]);
      await runsRepository.finishAttempt(
        run.id,
        1,
        { status: 'succeeded', promptTokens: 0, completionTokens: 0, startedAt: new Date(), finishedAt: new Date() },
        [{ level: 'info', message: 'hi', at: new Date() }],
      );

      expect(await flows.purge(ownerId, name)).toBe(true);
      expect(await flows.findByName(ownerId, name)).toBeUndefined();
      const db = database.handle.db;
      expect(await db.select().from(deployments).where(eq(deployments.flowId, flow.id))).toEqual([]);
      expect(await db.select().from(subscriptions).where(eq(subscriptions.flowId, flow.id))).toEqual([]);
      expect(await db.select().from(runs).where(eq(runs.flowId, flow.id))).toEqual([]);
      expect(await db.select().from(runLogs).where(eq(runLogs.runId, run.id))).toEqual([]);
      expect(await new EventsRepository(db).findById(event.id)).toBeDefined();
      expect(await flows.purge(ownerId, name)).toBe(false);
    });
  });
});
