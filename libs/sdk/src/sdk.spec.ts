import type { GithubClient, SdkHost, SlackClient } from './host';
import * as publicSdk from './index';
import { createSdk, unboundHost } from './sdk';
import type { DiscordCommand } from './discord';
import { SdkError, type EventHandler, type EventSource, type SdkErrorCode } from './types';

interface Listened {
  source: EventSource;
  eventNames: string[];
  handler: EventHandler;
}

/** A host that records `listen` calls and answers `env` from `vars`; the rest is unbound. */
function recordingHost(vars: Record<string, string> = {}, overrides: Partial<SdkHost> = {}) {
  const listened: Listened[] = [];
  const host: SdkHost = {
    ...unboundHost(),
    async listen(source, eventNames, handler) {
      listened.push({ source, eventNames, handler });
    },
    env: (name) => vars[name],
    ...overrides,
  };
  return { host, listened };
}

/** The SdkError code `work` throws (synchronously or as a rejection). */
async function codeOf(work: () => unknown): Promise<SdkErrorCode> {
  try {
    await work();
  } catch (error) {
    expect(error).toBeInstanceOf(SdkError);
    expect((error as SdkError).name).toBe('SdkError');
    return (error as SdkError).code;
  }
  throw new Error('expected an SdkError');
}

const handler: EventHandler = () => undefined;

describe('createSdk', () => {
  describe('listenToEvent', () => {
    it('passes the source, the names and the handler to the host', async () => {
      const { host, listened } = recordingHost();
      const sdk = createSdk(host);
      await sdk.listenToEvent(sdk.github.repo('octo', 'hello'), ['issues', 'issue_comment'], handler);
      expect(listened).toEqual([
        { source: { provider: 'github', target: 'octo/hello' }, eventNames: ['issues', 'issue_comment'], handler },
      ]);
    });

    it('takes a single event name as a string', async () => {
      const { host, listened } = recordingHost();
      const sdk = createSdk(host);
      await sdk.listenToEvent(sdk.github.repo('octo', 'hello'), 'issues', handler);
      expect(listened[0].eventNames).toEqual(['issues']);
    });

    it.each([
      ['no source', undefined],
      ['a source without a provider', { provider: '', target: 'octo/hello' }],
      ['a target that is not a string', { provider: 'github', target: 42 }],
    ])('refuses %s with INVALID_ARGUMENT', async (_what, source) => {
      const { host, listened } = recordingHost();
      expect(await codeOf(() => createSdk(host).listenToEvent(source as unknown as EventSource, ['issues'], handler))).toBe(
        'INVALID_ARGUMENT',
      );
      expect(listened).toHaveLength(0);
    });

    it.each([
      ['an empty list', []],
      ['an empty name', ['issues', '']],
      ['a name that is not a string', [7]],
      ['an empty string', ''],
    ])('refuses %s of event names with INVALID_ARGUMENT', async (_what, names) => {
      const { host, listened } = recordingHost();
      const sdk = createSdk(host);
      expect(await codeOf(() => sdk.listenToEvent(sdk.github.repo('o', 'r'), names as string[], handler))).toBe('INVALID_ARGUMENT');
      expect(listened).toHaveLength(0);
    });

    it('refuses a missing handler with INVALID_ARGUMENT', async () => {
      const { host } = recordingHost();
      const sdk = createSdk(host);
      expect(await codeOf(() => sdk.listenToEvent(sdk.github.repo('o', 'r'), ['issues'], undefined as unknown as EventHandler))).toBe(
        'INVALID_ARGUMENT',
      );
    });
  });

  describe('env', () => {
    it('returns the deploy-time variable', () => {
      expect(createSdk(recordingHost({ owner: 'octo' }).host).env('owner')).toBe('octo');
    });

    it('falls back when the variable is unset, and prefers the variable when set', () => {
      const sdk = createSdk(recordingHost({ owner: 'octo' }).host);
      expect(sdk.env('system_prompt', 'be brief')).toBe('be brief');
      expect(sdk.env('owner', 'someone')).toBe('octo');
    });

    it('keeps an empty variable rather than using the fallback', () => {
      expect(createSdk(recordingHost({ prompt: '' }).host).env('prompt', 'default')).toBe('');
    });

    it('throws MISSING_ENV naming the variable when unset without fallback', async () => {
      const sdk = createSdk(recordingHost().host);
      expect(await codeOf(() => sdk.env('openai_key_name'))).toBe('MISSING_ENV');
      expect(() => sdk.env('openai_key_name')).toThrow(/"openai_key_name"/);
    });
  });

  describe('github', () => {
    it('repo() builds a lower-case github source', () => {
      const sdk = createSdk(recordingHost().host);
      expect(sdk.github.repo('Octo-Org', 'Hello-World')).toEqual({ provider: 'github', target: 'octo-org/hello-world' });
    });

    it.each([
      ['', 'repo'],
      ['owner', ''],
      ['owner/repo', 'x'],
      ['owner', 'a/b'],
    ])('repo(%j, %j) throws INVALID_ARGUMENT', async (owner, repo) => {
      expect(await codeOf(() => createSdk(recordingHost().host).github.repo(owner, repo))).toBe('INVALID_ARGUMENT');
    });

    it('reads the context and Octokit namespaces from the host only when used', () => {
      let clients = 0;
      const issues = { createComment: () => 'created' };
      const { host } = recordingHost(
        {},
        {
          github: () => {
            clients++;
            return { issues } as unknown as GithubClient;
          },
          githubContext: () => ({ repo: { owner: 'octo', repo: 'hello' }, botLogin: 'bot[bot]' }),
        },
      );
      const sdk = createSdk(host);
      sdk.github.repo('octo', 'hello');
      expect(sdk.github.context.botLogin).toBe('bot[bot]');
      expect(clients).toBe(0);
      expect(sdk.github.issues).toBe(issues);
      expect(clients).toBe(1);
    });
  });
});

describe('slack', () => {
  it('channel() builds a lower-case slack source, with or without #', () => {
    const sdk = createSdk(recordingHost().host);
    expect(sdk.slack.channel('Acme', '#General')).toEqual({ provider: 'slack', target: 'acme/general' });
    expect(sdk.slack.channel('T0ACME', 'C0GENERAL')).toEqual({ provider: 'slack', target: 't0acme/c0general' });
  });

  it.each([
    ['', 'general'],
    ['acme', ''],
    ['acme', '#'],
    ['acme/x', 'general'],
  ])('channel(%j, %j) throws INVALID_ARGUMENT', async (team, channel) => {
    expect(await codeOf(() => createSdk(recordingHost().host).slack.channel(team, channel))).toBe('INVALID_ARGUMENT');
  });

  it('listenToEvent takes a slack source', async () => {
    const { host, listened } = recordingHost();
    const sdk = createSdk(host);
    await sdk.listenToEvent(sdk.slack.channel('acme', 'general'), ['message', 'app_mention'], handler);
    expect(listened[0].source).toEqual({ provider: 'slack', target: 'acme/general' });
  });

  it('sendMessage posts in the thread and updateMessage edits, through the workspace client', async () => {
    const calls: unknown[] = [];
    const client = {
      chat: {
        postMessage: async (args: unknown) => (calls.push(['post', args]), { ok: true, ts: '2.0', channel: 'C1' }),
        update: async (args: unknown) => (calls.push(['update', args]), { ok: true }),
      },
    };
    const sdk = createSdk(recordingHost({}, { slack: () => client as unknown as SlackClient }).host);
    expect(await sdk.slack.sendMessage('C1', 'hello', { threadTs: '1.0' })).toEqual({ messageId: '2.0', ts: '2.0', channel: 'C1' });
    await sdk.slack.sendMessage('C1', 'top level');
    await sdk.slack.updateMessage('C1', '2.0', 'edited');
    expect(calls).toEqual([
      ['post', { channel: 'C1', text: 'hello', thread_ts: '1.0' }],
      ['post', { channel: 'C1', text: 'top level' }],
      ['update', { channel: 'C1', ts: '2.0', text: 'edited' }],
    ]);
    expect(sdk.slack.client).toBe(client);
  });

  it("takes the chat apps' shape: chat() as channel(), threadId and replyTo, messageId", async () => {
    const posts: unknown[] = [];
    const client = { chat: { postMessage: async (args: unknown) => (posts.push(args), { ok: true, ts: '9.0', channel: 'C1' }) } };
    const sdk = createSdk(recordingHost({}, { slack: () => client as unknown as SlackClient }).host);
    expect(sdk.slack.chat('Acme', '#General')).toEqual(sdk.slack.channel('Acme', '#General'));
    expect(sdk.slack.chat('Acme', '*')).toEqual({ provider: 'slack', target: 'acme/*' });
    expect(await sdk.slack.sendMessage('C1', 'in thread', { threadId: '1.0' })).toMatchObject({ messageId: '9.0' });
    await sdk.slack.sendMessage('C1', 'reply', { replyTo: '3.0' });
    await sdk.slack.sendMessage('C1', 'thread wins', { replyTo: '3.5', threadId: '3.0' });
    expect(posts).toEqual([
      { channel: 'C1', text: 'in thread', thread_ts: '1.0' },
      { channel: 'C1', text: 'reply', thread_ts: '3.0' },
      { channel: 'C1', text: 'thread wins', thread_ts: '3.0' },
    ]);
  });

  it('commands() builds the workspace-wide source with the command names, slash or not', () => {
    const sdk = createSdk(recordingHost().host);
    expect(sdk.slack.commands('Acme', ['/restart', 'ask'])).toEqual({
      provider: 'slack',
      target: 'acme/*',
      options: { commands: ['restart', 'ask'] },
    });
  });

  it.each([[[]], [['']], [['Restart']], [['two words']], [['a/b']], [['x'.repeat(33)]], ['restart']])(
    'commands(team, %j) throws INVALID_ARGUMENT',
    async (commands) => {
      expect(await codeOf(() => createSdk(recordingHost().host).slack.commands('acme', commands as string[]))).toBe('INVALID_ARGUMENT');
    },
  );

  it('reads the context, ChatContext fields included, from the host', () => {
    const context = {
      teamId: 'T1',
      teamName: 'Acme',
      account: 'T1',
      chatId: 'C1',
      threadId: '1.0',
      messageId: '1.0',
      sender: { id: 'U1' },
    };
    const sdk = createSdk(recordingHost({}, { slackContext: () => context }).host);
    expect(sdk.slack.context).toEqual(context);
  });
});

describe('getSecret', () => {
  it('asks the host for the secret by name, as the platform capability secrets.get', async () => {
    const calls: [string, unknown[]][] = [];
    const { host } = recordingHost({}, { call: async (capability, args) => (calls.push([capability, args]), 'the-value') });
    expect(await createSdk(host).getSecret('listen_notes')).toBe('the-value');
    expect(calls).toEqual([['secrets.get', ['listen_notes']]]);
  });

  it.each([[''], [undefined], [42]])('refuses the name %p with INVALID_ARGUMENT without asking the host', async (name) => {
    const { host } = recordingHost({}, { call: () => Promise.reject(new Error('the host was asked')) });
    expect(await codeOf(() => createSdk(host).getSecret(name as string))).toBe('INVALID_ARGUMENT');
  });
});

describe('unboundHost', () => {
  const sdk = createSdk(unboundHost());

  it.each([
    ['listenToEvent', () => sdk.listenToEvent({ provider: 'github', target: 'o/r' }, ['issues'], handler)],
    ['chatCompletion', () => sdk.chatCompletion('openai', 'c', 'hi')],
    ['env', () => sdk.env('owner')],
    ['env with a fallback', () => sdk.env('owner', 'fallback')],
    ['store.get', () => sdk.store.get('k')],
    ['log.info', () => sdk.log.info('hello')],
    ['github.context', () => sdk.github.context],
    ['github.issues', () => sdk.github.issues],
    ['slack.client', () => sdk.slack.client],
    ['slack.sendMessage', () => sdk.slack.sendMessage('C1', 'hi')],
    ['getSecret', () => sdk.getSecret('listen_notes')],
  ])('%s throws NOT_IN_RUNTIME', async (_what, call) => {
    expect(await codeOf(call)).toBe('NOT_IN_RUNTIME');
  });

  it('still builds sources, which need no runtime', () => {
    expect(sdk.github.repo('O', 'R')).toEqual({ provider: 'github', target: 'o/r' });
  });

  it('is what the package itself exports outside the platform', async () => {
    expect(await codeOf(() => publicSdk.env('owner'))).toBe('NOT_IN_RUNTIME');
    expect(() => publicSdk.log.info('x')).toThrow(/only works inside an OpenFlows flow run/);
  });
});

describe('chat apps (telegram, discord, lark, wechat)', () => {
  /** A host answering `call` by recording it, and `context` from `contexts`. */
  function callingHost(contexts: Record<string, unknown> = {}) {
    const calls: { capability: string; args: unknown[] }[] = [];
    const { host } = recordingHost(
      {},
      {
        call: async (capability, args) => {
          calls.push({ capability, args });
          return { messageId: '7' };
        },
        context: (namespace) => contexts[namespace],
      },
    );
    return { sdk: createSdk(host), calls };
  }

  it.each(['telegram', 'discord', 'lark', 'wechat'] as const)('%s.chat builds its source, lower-cased, with * for every chat', (app) => {
    const { sdk } = callingHost();
    expect(sdk[app].chat('MyBot', '-100123')).toEqual({ provider: app, target: 'mybot/-100123' });
    expect(sdk[app].chat('MyBot', '*')).toEqual({ provider: app, target: 'mybot/*' });
  });

  it.each([
    ['an empty account', '', '1'],
    ['a chat id with a slash', 'bot', 'a/b'],
    ['a number', 'bot', 42],
  ])('refuses %s with INVALID_ARGUMENT', async (_what, account, chatId) => {
    const { sdk } = callingHost();
    expect(await codeOf(() => sdk.telegram.chat(account, chatId as string))).toBe('INVALID_ARGUMENT');
  });

  it('sends messages and client calls as capabilities of the app, with their arguments', async () => {
    const { sdk, calls } = callingHost();
    expect(await sdk.telegram.sendMessage('42', 'hi', { replyTo: '5', parseMode: 'HTML' })).toEqual({ messageId: '7' });
    await sdk.lark.client.im.message.create({ data: { text: 'x' } });
    await sdk.telegram.client.sendPhoto('42', 'https://example.test/cat.png');
    expect(calls).toEqual([
      { capability: 'telegram.sendMessage', args: ['42', 'hi', { replyTo: '5', parseMode: 'HTML' }] },
      { capability: 'lark.client', args: ['im.message.create', [{ data: { text: 'x' } }]] },
      { capability: 'telegram.client', args: ['sendPhoto', ['42', 'https://example.test/cat.png']] },
    ]);
  });

  it('reads its context from the host, and is not mistaken for a promise', async () => {
    const context = { account: 'mybot', chatId: '42', sender: { id: '1' } };
    const { sdk } = callingHost({ discord: context });
    expect(sdk.discord.context).toEqual(context);
    expect((sdk.discord.client as { then?: unknown }).then).toBeUndefined();
  });

  it('throws NOT_IN_RUNTIME outside the platform', async () => {
    const sdk = createSdk(unboundHost());
    expect(await codeOf(() => sdk.wechat.sendMessage('openid', 'hi'))).toBe('NOT_IN_RUNTIME');
    expect(await codeOf(() => sdk.telegram.client.getMe())).toBe('NOT_IN_RUNTIME');
  });
});

describe('http', () => {
  const { http } = createSdk(unboundHost());

  it('endpoint() builds a lower-case http source, with its options copied as data', () => {
    expect(http.endpoint('Podcasts')).toEqual({ provider: 'http', target: 'podcasts' });
    const auth = { bearer: 'plugin_token' };
    const source = http.endpoint('podcasts', { auth });
    expect(source).toEqual({ provider: 'http', target: 'podcasts', options: { auth: { bearer: 'plugin_token' } } });
    expect(source.options?.auth).not.toBe(auth);
  });

  it.each([
    ['an empty name', () => http.endpoint('')],
    ['a name with a slash', () => http.endpoint('a/b')],
    ['an unknown auth', () => http.endpoint('e', { auth: { basic: 'x' } as never })],
    ['an HMAC without algorithm', () => http.endpoint('e', { auth: { hmac: { header: 'x-sig', secret: 's' } } as never })],
    ['openapi without operations', () => http.endpoint('e', { openapi: { title: 't' } as never })],
    [
      'two operations with one id',
      () =>
        http.endpoint('e', {
          openapi: {
            title: 't',
            operations: [
              http.operation('GET', '/a', { operationId: 'same', summary: 'a' }),
              http.operation('POST', '/b', { operationId: 'same', summary: 'b' }),
            ],
          },
        }),
    ],
    ['an operation path without /', () => http.operation('get', 'search', { operationId: 'search', summary: 's' })],
    ['an unknown method', () => http.operation('TRACE' as never, '/x', { operationId: 'x', summary: 's' })],
    ['a status out of range', () => http.json(99, {})],
    ['a non-integer status', () => http.response(200.5, {}, '')],
    ['a header that is not a string', () => http.response(200, { 'x-n': 1 as never }, '')],
    ['a body that is not a string', () => http.response(200, {}, { a: 1 } as never)],
  ])('refuses %s with INVALID_ARGUMENT', async (_what, build) => {
    expect(await codeOf(build)).toBe('INVALID_ARGUMENT');
  });

  it('json() writes the body as JSON with its content type; response() keeps headers (lower-cased) and text', () => {
    expect(http.json(201, { ok: true }, { 'X-Request': 'r1' })).toEqual({
      status: 201,
      headers: { 'x-request': 'r1', 'content-type': 'application/json' },
      body: '{"ok":true}',
    });
    expect(http.response(200, { 'Content-Type': 'text/csv' }, 'a,b\n1,2')).toEqual({
      status: 200,
      headers: { 'content-type': 'text/csv' },
      body: 'a,b\n1,2',
    });
  });

  it('operation() builds an OpenAPI 3.1 operation object from JSON Schemas', () => {
    const q = { type: 'string', description: 'search terms' };
    expect(
      http.operation('GET', '/search', {
        operationId: 'searchPodcasts',
        summary: 'Search podcasts',
        query: { type: 'object', properties: { q, offset: { type: 'integer' } }, required: ['q'] },
        response: { type: 'object' },
      }),
    ).toEqual({
      method: 'get',
      path: '/search',
      operation: {
        operationId: 'searchPodcasts',
        summary: 'Search podcasts',
        parameters: [
          { name: 'q', in: 'query', required: true, description: 'search terms', schema: q },
          { name: 'offset', in: 'query', required: false, schema: { type: 'integer' } },
        ],
        responses: { '200': { description: 'OK', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    });
    expect(
      http.operation('post', '/notes', { operationId: 'addNote', summary: 'Add', body: { type: 'object' } }).operation.requestBody,
    ).toEqual({
      required: true,
      content: { 'application/json': { schema: { type: 'object' } } },
    });
  });

  it('is exported by the package itself, working outside the platform', () => {
    expect(publicSdk.http.json(200, 1).body).toBe('1');
  });
});

describe('schedule', () => {
  const { schedule } = createSdk(unboundHost());

  it('cron() builds a schedule source: the expression normalised, the time zone kept in its options', () => {
    expect(schedule.cron(' 0  9 * * 1-5 ', { timezone: 'Europe/Paris' })).toEqual({
      provider: 'schedule',
      target: 'cron 0 9 * * 1-5 europe/paris',
      options: { expression: '0 9 * * 1-5', timezone: 'Europe/Paris' },
    });
    expect(schedule.cron('*/10 * * * * *').options).toEqual({ expression: '*/10 * * * * *', timezone: 'UTC' });
  });

  it('every() builds a schedule source of an interval', () => {
    expect(schedule.every(60_000)).toEqual({ provider: 'schedule', target: 'every 60000', options: { every: 60_000 } });
  });

  it.each([
    ['four fields', () => schedule.cron('0 9 * *')],
    ['seven fields', () => schedule.cron('0 0 9 * * 1 2026')],
    ['a field with a quote', () => schedule.cron("0 9 * * '1'")],
    ['a time zone with spaces', () => schedule.cron('0 9 * * *', { timezone: 'Europe Paris' })],
    ['an interval under a second', () => schedule.every(999)],
    ['a fractional interval', () => schedule.every(1500.5)],
  ])('refuses %s with INVALID_ARGUMENT', async (_what, build) => {
    expect(await codeOf(build)).toBe('INVALID_ARGUMENT');
  });
});

describe('discord.commands', () => {
  const sdk = createSdk(unboundHost());
  const ask = {
    name: 'ask',
    description: 'Ask',
    options: [{ type: 3, name: 'question', description: 'Your question', required: true }],
  };

  it('builds a source for every channel of the account, with the commands as options', () => {
    const commands: DiscordCommand[] = [ask, { name: 'restart', description: 'Start over' }];
    const source = sdk.discord.commands('OpenFlows Bot', commands);
    expect(source).toEqual({ provider: 'discord', target: 'openflows bot/*', options: { commands } });
    // A copy: changing the declaration afterwards does not change what is registered.
    ask.options[0].description = 'changed';
    expect((source.options!.commands as typeof commands)[0].options![0].description).toBe('Your question');
    ask.options[0].description = 'Your question';
  });

  it('keeps the chat-app shape beside it', () => {
    expect(sdk.discord.chat('1234', '5678')).toEqual({ provider: 'discord', target: '1234/5678' });
  });

  it.each([
    ['an empty account', '', [ask]],
    ['no commands', 'bot', []],
    ['an upper-case name', 'bot', [{ name: 'Ask', description: 'Ask' }]],
    ['a name with a space', 'bot', [{ name: 'ask me', description: 'Ask' }]],
    ['a name of 33 characters', 'bot', [{ name: 'a'.repeat(33), description: 'Ask' }]],
    ['an empty description', 'bot', [{ name: 'ask', description: '' }]],
    ['a description of 101 characters', 'bot', [{ name: 'ask', description: 'x'.repeat(101) }]],
    ['a command declared twice', 'bot', [ask, ask]],
    ['a user command', 'bot', [{ name: 'ask', description: 'Ask', type: 2 }]],
    ['an option without a type', 'bot', [{ name: 'ask', description: 'Ask', options: [{ name: 'q', description: 'Q' }] }]],
    [
      'an option with an upper-case name',
      'bot',
      [{ name: 'ask', description: 'Ask', options: [{ type: 3, name: 'Q', description: 'Q' }] }],
    ],
    [
      'a required option after an optional one',
      'bot',
      [
        {
          name: 'ask',
          description: 'Ask',
          options: [
            { type: 3, name: 'a', description: 'A' },
            { type: 3, name: 'b', description: 'B', required: true },
          ],
        },
      ],
    ],
    [
      '26 options',
      'bot',
      [{ name: 'ask', description: 'Ask', options: Array.from({ length: 26 }, (_, i) => ({ type: 3, name: `o${i}`, description: 'O' })) }],
    ],
  ])('refuses %s with INVALID_ARGUMENT', async (_what, account, commands) => {
    expect(await codeOf(() => sdk.discord.commands(account, commands as never))).toBe('INVALID_ARGUMENT');
  });

  it('accepts what Discord accepts: letters of any script, digits, - _ and a 32-character name', () => {
    const names = ['ask-me', 'two_words', "don't", 'ぼくは', 'a'.repeat(32), 'v2'];
    expect(
      sdk.discord.commands(
        'bot',
        names.map((name) => ({ name, description: 'd' })),
      ).options!.commands,
    ).toHaveLength(names.length);
  });
});
