import { randomUUID } from 'node:crypto';
import { useTestRedis } from '@openflows/test-support/redis';
import { startOpenAiStandIn, type ChatCompletionBody, type OpenAiStandIn } from '@openflows/test-support/openai-stand-in';
import { ChatService, type ChatRequest } from './chat.service';
import { RedisConversationMemory } from './conversation.store';

const API_KEY = 'sk-test-0123456789abcdef';

describe('ChatService options and the messages form', () => {
  const testRedis = useTestRedis('llm-options');
  let llm: OpenAiStandIn;
  let memory: RedisConversationMemory;
  let chat: ChatService;

  const request = (over: Partial<ChatRequest> = {}): ChatRequest => ({
    flowId: 'flow-1',
    conversationId: `c#${randomUUID()}`,
    key: { apiKey: API_KEY },
    text: 'hello',
    ...over,
  });
  const sent = (index = -1): ChatCompletionBody => llm.requests.at(index)!.body;

  beforeEach(async () => {
    llm = await startOpenAiStandIn({ apiKey: API_KEY });
    memory = new RedisConversationMemory(testRedis.redis, testRedis.prefix, 600);
    chat = new ChatService(memory, { defaultBaseUrl: llm.url, maxRetries: 2 });
  });

  afterEach(async () => {
    await llm.close();
  });

  it('wraps the text in prePrompt and postPrompt for the call and stores it unwrapped', async () => {
    const req = request({ text: 'Bonjour', options: { prePrompt: 'Translate to English:', postPrompt: 'Answer with one word.' } });
    await chat.complete(req);
    expect(sent().messages.at(-1)).toEqual({ role: 'user', content: 'Translate to English:\n\nBonjour\n\nAnswer with one word.' });
    await chat.complete({ ...req, text: 'Merci', options: {} });
    expect(sent().messages.map((m) => m.content)).toEqual([
      'Bonjour',
      'echo: Translate to English:\n\nBonjour\n\nAnswer with one word.',
      'Merci',
    ]);
    expect((await memory.load(req.flowId, req.conversationId!))?.messages[0]).toEqual({ role: 'user', content: 'Bonjour' });
  });

  it('sends topP, stop, the penalties and a JSON schema response format in the API names', async () => {
    const schema = { type: 'object', properties: { labels: { type: 'array', items: { type: 'string' } } }, required: ['labels'] };
    llm.reply(() => '{"labels":["bug"]}');
    const response = await chat.complete(
      request({
        options: {
          topP: 0.5,
          stop: ['\n\n', 'END'],
          presencePenalty: 0.4,
          frequencyPenalty: -0.3,
          temperature: 0,
          responseFormat: { type: 'json_schema', name: 'labels', schema, strict: true },
        },
      }),
    );
    expect(sent()).toMatchObject({
      top_p: 0.5,
      stop: ['\n\n', 'END'],
      presence_penalty: 0.4,
      frequency_penalty: -0.3,
      temperature: 0,
      response_format: { type: 'json_schema', json_schema: { name: 'labels', schema, strict: true } },
    });
    expect(JSON.parse(response.choice)).toEqual({ labels: ['bug'] });
  });

  it('passes the API refusal of json_object without the word JSON on as LLM_FAILED 400', async () => {
    const call = chat.complete(request({ options: { responseFormat: { type: 'json_object' } } }));
    await expect(call).rejects.toMatchObject({ code: 'LLM_FAILED', message: expect.stringMatching(/^400 .*must contain the word 'json'/) });
    const ok = await chat.complete(request({ options: { responseFormat: { type: 'json_object' }, systemPrompt: 'Answer in JSON.' } }));
    expect(sent().response_format).toEqual({ type: 'json_object' });
    expect(ok.choice).toBe('echo: hello');
  });

  it.each([
    [{ temperature: 2.5 }, /temperature must be a number from 0 to 2/],
    [{ topP: -0.1 }, /topP must be a number from 0 to 1/],
    [{ presencePenalty: 3 }, /presencePenalty/],
    [{ frequencyPenalty: '1' }, /frequencyPenalty/],
    [{ stop: ['a', 'b', 'c', 'd', 'e'] }, /stop must be a string or a list of 1 to 4 strings/],
    [{ retryTimes: 11 }, /retryTimes must be an integer from 0 to 10/],
    [{ responseFormat: { type: 'json_schema', name: 'bad name', schema: {} } }, /responseFormat.name/],
    [{ responseFormat: { type: 'yaml' } }, /responseFormat.type/],
    [{ prePrompt: 42 }, /prePrompt must be a string/],
  ])('refuses %j without calling the model', async (options, message) => {
    await expect(chat.complete(request({ options: options as never }))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(message),
    });
    expect(llm.requests).toHaveLength(0);
  });

  it('retries as often as retryTimes says', async () => {
    llm.failNext(500, 1);
    await expect(chat.complete(request({ options: { retryTimes: 0 } }))).rejects.toMatchObject({ code: 'LLM_FAILED' });
    expect(llm.requests).toHaveLength(1);
    llm.failNext(503, 3, { 'retry-after': '0' });
    const answer = await chat.complete(request({ options: { retryTimes: 3 } }));
    expect(answer.choice).toBe('echo: hello');
    expect(llm.requests).toHaveLength(5);
  });

  describe('messages form', () => {
    const list = [
      { role: 'user' as const, content: 'My name is Ada.' },
      { role: 'assistant' as const, content: 'Hello Ada.' },
      { role: 'user' as const, content: 'What is my name?' },
    ];

    it('sends the list after the system prompt, wraps its last user message, and stores nothing', async () => {
      const response = await chat.complete({
        flowId: 'flow-messages',
        key: { apiKey: API_KEY },
        messages: list,
        options: { systemPrompt: 'Be brief.', postPrompt: '(one word)' },
      });
      expect(sent().messages).toEqual([
        { role: 'system', content: 'Be brief.' },
        ...list.slice(0, 2),
        { role: 'user', content: 'What is my name?\n\n(one word)' },
      ]);
      expect(response).toMatchObject({ choice: 'echo: What is my name?\n\n(one word)', restarted: false });
      expect(response.messages).toEqual([{ role: 'assistant', content: response.choice }]);
      expect(await testRedis.redis.keys(`${testRedis.prefix}:conversation:flow-messages:*`)).toEqual([]);
    });

    it('refuses a malformed list and one larger than the context window', async () => {
      const key = { apiKey: API_KEY, contextWindow: 200 };
      const bad = [{ role: 'robot', content: 'x' }];
      await expect(chat.complete({ flowId: 'f', key, messages: bad as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(chat.complete({ flowId: 'f', key, messages: [] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      const tool = [{ role: 'tool', content: 'x' }];
      await expect(chat.complete({ flowId: 'f', key, messages: tool as never })).rejects.toMatchObject({ message: /without toolCallId/ });
      const long = [{ role: 'user' as const, content: 'word '.repeat(300) }];
      await expect(chat.complete({ flowId: 'f', key, messages: long })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: /too long for model gpt-4o-mini/,
      });
      expect(llm.requests).toHaveLength(0);
    });
  });
});
