import type { SdkHost } from './host';
import { unboundHost } from './sdk';
import { SdkError } from './types';
import { webApi } from './web';

/** A host whose bridge calls are recorded; each `web.reply` call takes `delayMs` to come back, as a real bridge call does. */
function bridge(delayMs = 0, fail?: (capability: string, args: unknown[]) => Error | undefined) {
  const calls: [string, unknown[]][] = [];
  const host: SdkHost = {
    ...unboundHost(),
    async call(capability, args) {
      calls.push([capability, args]);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      const error = fail?.(capability, args);
      if (error) throw error;
      return {};
    },
    context: (namespace) => (namespace === 'web' ? { account: 'helpdesk', chatId: 'c1', sender: { id: 'v1' }, restart: false } : undefined),
  };
  return { host, calls };
}

async function* deltas(pieces: string[], pauseMs = 0): AsyncGenerator<string> {
  for (const piece of pieces) {
    if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    yield piece;
  }
}

describe('web', () => {
  describe('chat', () => {
    it('builds the source of a chat with its options as JSON', () => {
      const web = webApi(unboundHost());
      const roles = [{ name: 'Translator', systemPrompt: 'Translate.' }];
      expect(web.chat('HelpDesk', { title: 'Help', roles, password: 'pw', transcriptionKey: 'openai' })).toEqual({
        provider: 'web',
        target: 'helpdesk',
        options: { title: 'Help', roles, password: 'pw', transcriptionKey: 'openai' },
      });
      expect(web.chat('a')).toEqual({ provider: 'web', target: 'a', options: {} });
    });

    it.each([
      ['an empty name', '', {}],
      ['a name with a slash', 'a/b', {}],
      ['a name too long', 'x'.repeat(65), {}],
      ['roles that are no list', 'a', { roles: 'x' }],
      ['a role without a system prompt', 'a', { roles: [{ name: 'x' }] }],
      [
        'two roles of one name',
        'a',
        {
          roles: [
            { name: 'x', systemPrompt: '' },
            { name: 'x', systemPrompt: '' },
          ],
        },
      ],
      ['an empty title', 'a', { title: '' }],
      ['a password that is no secret name', 'a', { password: 42 }],
    ])('refuses %s with INVALID_ARGUMENT', (_case, name, options) => {
      expect(() => webApi(unboundHost()).chat(name, options as never)).toThrow(
        expect.objectContaining({ name: 'SdkError', code: 'INVALID_ARGUMENT' }),
      );
    });
  });

  describe('reply', () => {
    it('sends a text as one complete answer', async () => {
      const { host, calls } = bridge();
      await webApi(host).reply('hello');
      expect(calls).toEqual([['web.reply', [{ delta: 'hello', done: true }]]]);
    });

    it('sends a stream as it comes, gathering the deltas that arrive while a call is on its way, then completes it', async () => {
      const { host, calls } = bridge(30);
      await webApi(host).reply(deltas(['a', 'b', 'c', 'd']));
      const sent = calls.map(([, [update]]) => update as { delta?: string; done?: boolean });
      expect(sent.at(-1)).toEqual({ done: true });
      expect(
        sent
          .slice(0, -1)
          .map((u) => u.delta)
          .join(''),
      ).toBe('abcd');
      // The first delta goes at once; the rest came while it was on its way.
      expect(sent.length).toBeLessThan(5);
    });

    it('sends each delta of a slow stream on its own', async () => {
      const { host, calls } = bridge(0);
      await webApi(host).reply(deltas(['one ', 'two ', 'three'], 20));
      expect(calls.map(([, [update]]) => update)).toEqual([{ delta: 'one ' }, { delta: 'two ' }, { delta: 'three' }, { done: true }]);
    });

    it("completes the answer as failed and rethrows when the stream breaks off (a ChatStream's error)", async () => {
      const { host, calls } = bridge();
      async function* broken(): AsyncGenerator<string> {
        yield 'partial';
        throw new SdkError('LLM_FAILED', '500 upstream');
      }
      await expect(webApi(host).reply(broken())).rejects.toMatchObject({ code: 'LLM_FAILED' });
      expect(calls.map(([, [update]]) => update)).toEqual([{ delta: 'partial' }, { done: true, failed: true }]);
    });

    it("passes the bridge's refusal on (NOT_CONNECTED outside a web chat run)", async () => {
      const { host } = bridge(0, () => new SdkError('NOT_CONNECTED', 'web is only bound for web chat messages'));
      await expect(webApi(host).reply('hi')).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
    });

    it.each([[undefined], [42], [{}], [deltas([7 as never])]])('refuses %p with INVALID_ARGUMENT', async (answer) => {
      const { host } = bridge();
      await expect(webApi(host).reply(answer as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });
  });

  describe('replyImage', () => {
    it('sends the URL and its text alternative', async () => {
      const { host, calls } = bridge();
      await webApi(host).replyImage('https://example.com/cat.png', { alt: 'a cat' });
      expect(calls).toEqual([['web.replyImage', ['https://example.com/cat.png', { alt: 'a cat' }]]]);
    });

    it.each(['javascript:alert(1)', 'ftp://example.com/a.png', 'data:text/html,<b>x</b>'])('refuses %s', async (url) => {
      await expect(webApi(bridge().host).replyImage(url)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });
  });

  it("reads the run's context from the host", () => {
    expect(webApi(bridge().host).context).toEqual({ account: 'helpdesk', chatId: 'c1', sender: { id: 'v1' }, restart: false });
  });
});
