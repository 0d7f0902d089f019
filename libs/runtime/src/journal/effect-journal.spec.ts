import type { EffectContext } from '@openflows/common';
import { useTestRedis } from '@openflows/test-support/redis';
import { dispatchHandler } from '../isolate/capabilities';
import type { RunServices } from '../run';
import { EffectJournal } from './effect-journal';

describe('EffectJournal (real Redis)', () => {
  const test = useTestRedis('effect-journal');
  const run = (id: string, retry: boolean) => ({ id, retry, startedAt: '2026-12-01T10:00:00.000Z' });
  const journalOf = (id: string, retry = false) => new EffectJournal(test.redis, `${test.prefix}:journal:${id}`, run(id, retry), 60);

  /** An effect that counts how often it really ran and what context it got. */
  function counting(answer: unknown) {
    const contexts: EffectContext[] = [];
    return { contexts, effect: async (context: EffectContext) => (contexts.push(context), answer) };
  }

  it('replays to a retry the answers of the steps an earlier attempt completed, in order, without running them again', async () => {
    const first = journalOf('r1');
    const comment = counting({ id: 1 });
    const message = counting({ ts: '1.2' });
    expect(await first.step('github.rest', ['issues', 'createComment', { body: 'hi' }], comment.effect)).toEqual({ id: 1 });
    expect(await first.step('slack.apiCall', ['chat.postMessage', { text: 'hi' }], message.effect)).toEqual({ ts: '1.2' });
    expect(comment.contexts).toEqual([{ marker: 'openflows:r1:1', retry: false, since: '2026-12-01T09:55:00.000Z' }]);
    expect(message.contexts.map((c) => c.marker)).toEqual(['openflows:r1:2']);

    const retry = journalOf('r1', true);
    const again = counting({ id: 2 });
    expect(await retry.step('github.rest', ['issues', 'createComment', { body: 'hi' }], again.effect)).toEqual({ id: 1 });
    expect(await retry.step('slack.apiCall', ['chat.postMessage', { text: 'hi' }], again.effect)).toEqual({ ts: '1.2' });
    expect(again.contexts).toHaveLength(0);
    // A third step the first attempt never reached runs for real, told that it is a retry.
    expect(await retry.step('store.set', ['k', 1, {}], again.effect)).toEqual({ id: 2 });
    expect(again.contexts).toEqual([{ marker: 'openflows:r1:3', retry: true, since: '2026-12-01T09:55:00.000Z' }]);
  });

  it('runs a step for real when the retry makes another call there (the flow took another path)', async () => {
    await journalOf('r2').step('store.set', ['k', 'first', {}], counting(null).effect);
    const retry = journalOf('r2', true);
    const different = counting('ran');
    expect(await retry.step('store.set', ['k', 'second', {}], different.effect)).toBe('ran');
    expect(different.contexts).toHaveLength(1);
  });

  it('records nothing for an effect that failed: the retry tries it again', async () => {
    const first = journalOf('r3');
    await expect(first.step('github.rest', ['issues', 'createComment', {}], () => Promise.reject(new Error('502')))).rejects.toThrow('502');
    const retried = counting({ id: 9 });
    expect(await journalOf('r3', true).step('github.rest', ['issues', 'createComment', {}], retried.effect)).toEqual({ id: 9 });
    expect(retried.contexts).toHaveLength(1);
  });

  it('expires the journal some time after its last write', async () => {
    await journalOf('r4').step('store.del', ['k'], counting(null).effect);
    const ttl = await test.redis.ttl(`${test.prefix}:journal:r4`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
  });
});

describe('dispatchHandler with a journal', () => {
  const test = useTestRedis('effect-dispatch');

  /** Services whose store and fetch count their real calls; `github` counts per capability. */
  function services(id: string, retry = false) {
    const real: string[] = [];
    const note = (what: string) => async () => {
      real.push(what);
      return what;
    };
    const svc: RunServices = {
      chatCompletion: async () => (
        real.push('chat'),
        { choice: 'answer', usage: { promptTokens: 1, completionTokens: 1 }, restarted: false }
      ),
      store: { get: note('store.get') as never, set: note('store.set') as never, del: note('store.del') as never },
      fetch: (async (request: { method?: string }) => (real.push(`fetch ${request.method ?? 'GET'}`), { status: 200 })) as never,
      log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
      providers: {
        github: {
          context: {},
          capabilities: { 'github.rest': async ([, method]) => (real.push(`github ${String(method)}`), { data: method }) },
          isEffect: (_capability, [, method]) => !String(method).startsWith('get'),
        },
        telegram: { context: {}, capabilities: { 'telegram.sendMessage': async () => (real.push('telegram'), { messageId: '5' }) } },
      },
      journal: new EffectJournal(test.redis, `${test.prefix}:journal:${id}`, { id, retry, startedAt: new Date(0).toISOString() }),
    };
    return { real, handler: dispatchHandler(svc) };
  }

  const calls: [string, unknown[]][] = [
    ['chat.complete', ['openai', 'c1', 'hello', {}]],
    ['store.get', ['k']],
    ['store.set', ['k', 1, {}]],
    ['fetch.request', [{ url: 'https://example.test/', method: 'GET' }]],
    ['fetch.request', [{ url: 'https://example.test/', method: 'POST' }]],
    ['github.rest', ['issues', 'get', {}]],
    ['github.rest', ['issues', 'createComment', {}]],
    ['telegram.sendMessage', ['42', 'hi', {}]],
  ];

  it('replays effects to a retry and repeats only what has none (reads, GET fetches)', async () => {
    const first = services('d1');
    for (const [capability, args] of calls) await first.handler.call(capability, args);
    expect(first.real).toHaveLength(calls.length);

    const retry = services('d1', true);
    for (const [capability, args] of calls) await retry.handler.call(capability, args);
    expect(retry.real).toEqual(['store.get', 'fetch GET', 'github get']);
  });
});
