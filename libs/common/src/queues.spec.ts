import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { bullConnection, runJobId, runJobOptions, runsPartitionFor, runsQueueName, runsQueueNames } from './queues';

describe('runsPartitionFor', () => {
  it('is stable: the same flow and conversation always land in the same partition', () => {
    const flowId = randomUUID();
    const first = runsPartitionFor(flowId, 'octo/repo#42', 8);
    for (let i = 0; i < 20; i++) expect(runsPartitionFor(flowId, 'octo/repo#42', 8)).toBe(first);
  });

  it('stays within [0, partitions) for any count', () => {
    for (const partitions of [1, 2, 7, 8, 256]) {
      for (let i = 0; i < 200; i++) {
        const partition = runsPartitionFor(randomUUID(), `octo/repo#${i}`, partitions);
        expect(Number.isInteger(partition)).toBe(true);
        expect(partition).toBeGreaterThanOrEqual(0);
        expect(partition).toBeLessThan(partitions);
      }
    }
  });

  it('spreads conversations over all partitions', () => {
    const counts = new Array<number>(8).fill(0);
    const flowId = randomUUID();
    for (let i = 0; i < 800; i++) counts[runsPartitionFor(flowId, `octo/repo#${i}`, 8)]++;
    // 100 expected per partition; a hash that clumps would leave some nearly empty.
    for (const count of counts) expect(count).toBeGreaterThan(50);
  });

  it('separates flow id and conversation key, so ("ab", "c") and ("a", "bc") are different pairs', () => {
    const pairs = Array.from({ length: 50 }, (_, i) => [runsPartitionFor(`flow${i}`, 'x', 256), runsPartitionFor(`flow${i}x`, '', 256)]);
    expect(pairs.some(([a, b]) => a !== b)).toBe(true);
  });
});

describe('runsQueueName(s)', () => {
  it('names one queue per partition', () => {
    expect(runsQueueName(3)).toBe('runs-3');
    expect(runsQueueNames(3)).toEqual(['runs-0', 'runs-1', 'runs-2']);
  });
});

describe('runJobId', () => {
  it('is deterministic and contains no ":" (BullMQ refuses it in custom ids)', () => {
    const eventId = randomUUID();
    const flowId = randomUUID();
    const id = runJobId(eventId, flowId);
    expect(id).toBe(runJobId(eventId, flowId));
    expect(id).not.toContain(':');
    expect(id).toContain(eventId);
    expect(id).toContain(flowId);
    expect(runJobId(eventId, randomUUID())).not.toBe(id);
  });

  describe('with a real BullMQ queue', () => {
    const prefix = `test-queues-${randomUUID()}`;
    let queue: Queue;

    beforeAll(() => {
      queue = new Queue(runsQueueName(0), {
        prefix,
        connection: bullConnection(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', 'worker'),
      });
    });

    afterAll(async () => {
      await queue.obliterate({ force: true });
      await queue.close();
    });

    it('is accepted as a custom job id, and adding the same run twice adds one job', async () => {
      const id = runJobId(randomUUID(), randomUUID());
      await queue.add('execute-run', { runId: 'r1' }, { jobId: id });
      await queue.add('execute-run', { runId: 'r1' }, { jobId: id });
      expect((await queue.getJob(id))?.data).toEqual({ runId: 'r1' });
      expect(await queue.getJobCounts('wait')).toEqual({ wait: 1 });
    });

    it('is needed: BullMQ refuses the "<eventId>:<flowId>" form', async () => {
      await expect(queue.add('execute-run', { runId: 'r2' }, { jobId: `${randomUUID()}:${randomUUID()}` })).rejects.toThrow(/:/);
    });
  });
});

describe('runJobOptions', () => {
  it('takes attempts and backoff from the configuration', () => {
    expect(runJobOptions({ attempts: 5, backoffMs: 250 })).toMatchObject({ attempts: 5, backoff: { type: 'exponential', delay: 250 } });
  });
});

describe('bullConnection', () => {
  it('reads host and port, with Redis defaults', () => {
    expect(bullConnection('redis://cache.internal', 'worker')).toMatchObject({ host: 'cache.internal', port: 6379, db: 0, tls: undefined });
    expect(bullConnection('redis://127.0.0.1:6380', 'worker')).toMatchObject({ host: '127.0.0.1', port: 6380 });
  });

  it('decodes user and password and reads the database number', () => {
    const options = bullConnection('redis://app%40ops:p%40ss%2Fw0rd@redis.example:6390/4', 'worker');
    expect(options).toMatchObject({ host: 'redis.example', port: 6390, username: 'app@ops', password: 'p@ss/w0rd', db: 4 });
  });

  it('takes a password without a user', () => {
    expect(bullConnection('redis://:secret@localhost/2', 'worker')).toMatchObject({ username: undefined, password: 'secret', db: 2 });
  });

  it('turns TLS on for rediss://', () => {
    expect(bullConnection('rediss://redis.example:6380', 'worker').tls).toEqual({});
  });

  it('lets workers wait forever and producers fail fast', () => {
    expect(bullConnection('redis://localhost', 'worker')).toMatchObject({ maxRetriesPerRequest: null });
    expect(bullConnection('redis://localhost', 'producer')).toMatchObject({ maxRetriesPerRequest: 1, enableOfflineQueue: false });
  });
});
