import { randomUUID } from 'node:crypto';
import { SdkError } from '@openflows/sdk/types';
import type { Redis } from 'ioredis';
import { useTestRedis } from '@openflows/test-support/redis';
import { startOpenAiStandIn, type ChatCompletionBody, type OpenAiStandIn } from '@openflows/test-support/openai-stand-in';
import { ChatService, type ChatRequest } from './chat.service';
import { RedisConversationMemory } from './conversation.store';

const API_KEY = 'sk-test-0123456789abcdef';

describe('ChatService', () => {
  const testRedis = useTestRedis('llm-chat');
  const prefix = testRedis.prefix;
  let redis: Redis;
  let llm: OpenAiStandIn;
  let memory: RedisConversationMemory;

  const service = (maxRetries = 2, ttlSeconds = 600) =>
    new ChatService(new RedisConversationMemory(redis, prefix, ttlSeconds), { defaultBaseUrl: llm.url, maxRetries });
  const request = (over: Partial<ChatRequest> = {}): ChatRequest => ({
    flowId: 'flow-1',
    conversationId: `issue#${randomUUID()}`,
    key: { apiKey: API_KEY },
    text: 'hello',
    ...over,
  });
  const sent = (index = -1): ChatCompletionBody => llm.requests.at(index)!.body;

  beforeAll(() => {
    redis = testRedis.redis;
    memory = new RedisConversationMemory(redis, prefix, 600);
  });

  beforeEach(async () => {
    llm = await startOpenAiStandIn({ apiKey: API_KEY });
  });

  afterEach(async () => {
    await llm.close();
  });

  it('starts a conversation, then continues it with the first exchange', async () => {
    const chat = service();
    const req = request();

    const first = await chat.complete(req);
    expect(first).toEqual({
      choice: 'echo: hello',
      usage: { promptTokens: 1, completionTokens: 2 },
      restarted: true,
      messages: [{ role: 'assistant', content: 'echo: hello' }],
    });
    expect(llm.requests[0].headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(sent()).toMatchObject({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });

    const second = await chat.complete({ ...req, text: 'and again' });
    expect(second.restarted).toBe(false);
    expect(second.choice).toBe('echo: and again');
    expect(sent().messages).toEqual([
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'echo: hello' },
      { role: 'user', content: 'and again' },
    ]);
  });

  it('uses the model of the call, then of the key, and passes temperature and max_tokens', async () => {
    const chat = service();
    await chat.complete(request({ key: { apiKey: API_KEY, model: 'gpt-4.1-mini' } }));
    expect(sent().model).toBe('gpt-4.1-mini');
    expect(sent()).not.toHaveProperty('temperature');
    expect(sent()).not.toHaveProperty('max_tokens');

    await chat.complete(
      request({
        key: { apiKey: API_KEY, model: 'gpt-4.1-mini' },
        options: { model: 'gpt-4o', temperature: 0.2, maxTokens: 50 },
      }),
    );
    expect(sent()).toMatchObject({ model: 'gpt-4o', temperature: 0.2, max_tokens: 50 });
  });

  it('sends to the key baseURL when it has one', async () => {
    const other = await startOpenAiStandIn();
    try {
      const chat = new ChatService(memory, { defaultBaseUrl: 'http://127.0.0.1:1/v1', maxRetries: 0 });
      await chat.complete(request({ key: { apiKey: 'other-key', baseURL: other.url } }));
      expect(other.requests).toHaveLength(1);
      expect(other.requests[0].headers.authorization).toBe('Bearer other-key');
    } finally {
      await other.close();
    }
  });

  it('reports restarted and forgets the history once the conversation expired', async () => {
    const chat = service(2, 1);
    const req = request();
    await chat.complete(req);
    await new Promise((resolve) => setTimeout(resolve, 1100));

    const after = await chat.complete({ ...req, text: 'still there?' });
    expect(after.restarted).toBe(true);
    expect(sent().messages).toEqual([{ role: 'user', content: 'still there?' }]);
  });

  it('starts over on restart: true and keeps only the new exchange', async () => {
    const chat = service();
    const req = request();
    await chat.complete(req);

    const restarted = await chat.complete({ ...req, text: 'new topic', options: { restart: true } });
    expect(restarted.restarted).toBe(true);
    expect(sent().messages).toEqual([{ role: 'user', content: 'new topic' }]);

    await chat.complete({ ...req, text: 'go on' });
    expect(sent().messages).toEqual([
      { role: 'user', content: 'new topic' },
      { role: 'assistant', content: 'echo: new topic' },
      { role: 'user', content: 'go on' },
    ]);
  });

  it('sends the system prompt first on every call without storing it', async () => {
    const chat = service();
    const req = request({ options: { systemPrompt: 'You are terse.' } });
    await chat.complete(req);
    expect(sent().messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'hello' },
    ]);

    await chat.complete({ ...req, text: 'more' });
    expect(sent().messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'echo: hello' },
      { role: 'user', content: 'more' },
    ]);
    expect((await memory.load(req.flowId, req.conversationId!))?.messages).toHaveLength(4);
  });

  it('summarises the oldest turns when the history outgrows the window, and sends the summary later', async () => {
    // User texts start with "turn"; anything else the model is asked is the summarising call.
    let summaries = 0;
    llm.reply((body) => {
      const last = body.messages.at(-1)!.content;
      if (last.startsWith('turn')) return { content: `echo: ${last}`, promptTokens: 100, completionTokens: 10 };
      summaries += 1;
      return { content: `SUMMARY-${summaries}`, promptTokens: 7, completionTokens: 3 };
    });
    const chat = service();
    const systemPrompt = 'You are a careful assistant.';
    const req = request({ key: { apiKey: API_KEY, contextWindow: 1500 }, options: { systemPrompt, maxTokens: 50 } });
    const text = (n: number) => `turn ${n} ` + 'lorem '.repeat(120);

    const results = [];
    for (let n = 1; summaries === 0 && n <= 10; n++) results.push(await chat.complete({ ...req, text: text(n) }));
    expect(summaries).toBe(1);
    const n = results.length;
    expect(n).toBeGreaterThan(2);

    // The summarising call saw the oldest turn, and the answer call after it did not.
    const summaryCall = sent(-2);
    expect(summaryCall.messages.some((m) => m.content === text(1))).toBe(true);
    expect(summaryCall.max_tokens).toBeGreaterThan(0);
    const answerCall = sent(-1);
    expect(answerCall.messages[0]).toEqual({ role: 'system', content: systemPrompt });
    expect(answerCall.messages[1]).toEqual({
      role: 'system',
      content: 'Summary of the earlier conversation: SUMMARY-1',
    });
    expect(answerCall.messages.some((m) => m.content === text(1))).toBe(false);
    expect(answerCall.messages.at(-1)).toEqual({ role: 'user', content: text(n) });
    // Whole turns only: after the summary, the history starts with a user message.
    expect(answerCall.messages[2].role).toBe('user');
    expect(results.at(-1)!.usage).toEqual({ promptTokens: 107, completionTokens: 13 });

    const stored = await memory.load(req.flowId, req.conversationId!);
    expect(stored?.summary).toBe('SUMMARY-1');
    expect(stored?.messages.some((m) => m.content === text(1))).toBe(false);

    // The next call carries the summary; the next summarising call folds the old summary in.
    for (let m = n + 1; summaries === 1 && m <= n + 10; m++) {
      await chat.complete({ ...req, text: text(m) });
      if (summaries === 1) expect(sent().messages[1].content).toBe('Summary of the earlier conversation: SUMMARY-1');
    }
    expect(summaries).toBe(2);
    expect(sent(-2).messages.some((m) => m.content === 'Summary of the earlier conversation: SUMMARY-1')).toBe(true);
    expect(sent(-1).messages[1].content).toBe('Summary of the earlier conversation: SUMMARY-2');
  });

  it('refuses a text longer than the context window without calling the model', async () => {
    const call = service().complete(request({ key: { apiKey: API_KEY, contextWindow: 100 }, text: 'word '.repeat(200) }));
    await expect(call).rejects.toMatchObject({ name: 'SdkError', code: 'INVALID_ARGUMENT' });
    expect(llm.requests).toHaveLength(0);
  });

  it('lets the openai package retry a 429 with Retry-After and saves the turn once', async () => {
    const chat = service();
    const req = request();
    llm.failNext(429, 1, { 'retry-after': '0' });

    const result = await chat.complete(req);
    expect(result.choice).toBe('echo: hello');
    expect(llm.requests).toHaveLength(2);

    await chat.complete({ ...req, text: 'next' });
    expect(sent().messages.filter((m) => m.content === 'hello')).toHaveLength(1);
  });

  it('throws LLM_FAILED after the retries of a persistent 500 and saves nothing', async () => {
    const chat = service(1);
    const req = request();
    llm.failNext(500, 5);

    const error = await chat.complete(req).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SdkError);
    expect(error).toMatchObject({ code: 'LLM_FAILED', message: '500 stand-in failure 500' });
    expect((error as Error).message).not.toContain(API_KEY);
    expect(llm.requests).toHaveLength(2);
    expect(await memory.load(req.flowId, req.conversationId!)).toBeUndefined();
  });

  it('does not keep the failed turn in an existing conversation', async () => {
    const chat = service(0);
    const req = request();
    await chat.complete(req);
    llm.failNext(503);
    await expect(chat.complete({ ...req, text: 'lost' })).rejects.toMatchObject({ code: 'LLM_FAILED' });

    const next = await chat.complete({ ...req, text: 'retry' });
    expect(next.restarted).toBe(false);
    expect(sent().messages.map((m) => m.content)).toEqual(['hello', 'echo: hello', 'retry']);
  });

  it('does not retry a refused key and reports the status', async () => {
    const call = service(3).complete(request({ key: { apiKey: 'sk-wrong-key' } }));
    await expect(call).rejects.toMatchObject({ code: 'LLM_FAILED', message: expect.stringMatching(/^401 /) });
    expect(llm.requests).toHaveLength(1);
  });

  it('gives up on a provider slower than timeoutMs', async () => {
    llm.delay(500);
    const chat = new ChatService(memory, { defaultBaseUrl: llm.url, maxRetries: 0, timeoutMs: 100 });
    const started = Date.now();
    // Under jest's VM the package reports its timeout as "Connection error." (plain Node: "Request timed out.").
    await expect(chat.complete(request())).rejects.toMatchObject({
      code: 'LLM_FAILED',
      message: expect.stringMatching(/^no answer from the provider: /),
    });
    expect(Date.now() - started).toBeLessThan(450);
  });

  it('reports an unreachable provider as LLM_FAILED', async () => {
    const url = llm.url;
    await llm.close();
    const chat = new ChatService(memory, { defaultBaseUrl: url, maxRetries: 0 });
    await expect(chat.complete(request())).rejects.toMatchObject({
      code: 'LLM_FAILED',
      message: expect.stringMatching(/^no answer from the provider/),
    });
    llm = await startOpenAiStandIn();
  });
});
