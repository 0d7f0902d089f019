import { randomUUID } from 'node:crypto';
import type { ToolCall } from '@openflows/sdk/types';
import { useTestRedis } from '@openflows/test-support/redis';
import { startOpenAiStandIn, type ChatCompletionBody, type OpenAiStandIn } from '@openflows/test-support/openai-stand-in';
import { ChatService, type ChatRequest } from './chat.service';
import { RedisConversationMemory } from './conversation.store';

const API_KEY = 'sk-test-0123456789abcdef';

describe('ChatService streaming and tools', () => {
  const testRedis = useTestRedis('llm-stream');
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
  const weather = {
    name: 'weather',
    description: 'The weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } } },
  };

  beforeEach(async () => {
    llm = await startOpenAiStandIn({ apiKey: API_KEY });
    memory = new RedisConversationMemory(testRedis.redis, testRedis.prefix, 600);
    chat = new ChatService(memory, { defaultBaseUrl: llm.url, maxRetries: 0 });
  });

  afterEach(async () => {
    await llm.close();
  });

  it('streams the answer as the chunks arrive, asks for usage, and stores the turn once at the end', async () => {
    llm.reply(() => ({
      content: 'Paris is sunny today.',
      chunks: ['Paris', ' is', ' sunny', ' today.'],
      promptTokens: 9,
      completionTokens: 5,
    }));
    const release = llm.holdStream(2);
    const deltas: string[] = [];
    const req = request();
    const answer = chat.complete(req, { onDelta: (text) => deltas.push(text) });
    await waitUntil(() => deltas.length === 2);
    expect(deltas).toEqual(['Paris', ' is']);
    // Mid-stream nothing is stored yet.
    expect(await memory.load(req.flowId, req.conversationId!)).toBeUndefined();
    release();
    const response = await answer;
    expect(deltas).toEqual(['Paris', ' is', ' sunny', ' today.']);
    expect(response).toMatchObject({ choice: 'Paris is sunny today.', usage: { promptTokens: 9, completionTokens: 5 }, restarted: true });
    expect(sent()).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect((await memory.load(req.flowId, req.conversationId!))?.messages).toEqual([
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'Paris is sunny today.' },
    ]);
  });

  it('stops a stream when the signal aborts and stores nothing', async () => {
    llm.holdStream(1);
    const abort = new AbortController();
    const deltas: string[] = [];
    const req = request();
    const answer = chat.complete(req, { onDelta: (text) => deltas.push(text), signal: abort.signal });
    await waitUntil(() => deltas.length === 1);
    abort.abort();
    await expect(answer).rejects.toMatchObject({ code: 'LLM_FAILED' });
    expect(await memory.load(req.flowId, req.conversationId!)).toBeUndefined();
  });

  it.each([false, true])('runs the tool loop (streamed: %s), keeping calls and results in the history', async (streamed) => {
    llm.reply((body) => {
      const last = body.messages.at(-1)!;
      if (last.role === 'tool') return { content: `It is ${JSON.parse(last.content).sky} in Paris.` };
      return { content: 'Let me look.', toolCalls: [{ name: 'weather', arguments: '{"city":"Paris"}' }] };
    });
    const rounds: ToolCall[][] = [];
    const deltas: string[] = [];
    const req = request({ text: 'Weather in Paris?', options: { tools: [weather] } });
    const response = await chat.complete(req, {
      callTools: async (calls) => {
        rounds.push(calls);
        return calls.map((call) => ({ toolCallId: call.id, content: JSON.stringify({ sky: 'sunny' }) }));
      },
      ...(streamed ? { onDelta: (text: string) => deltas.push(text) } : {}),
    });
    expect(rounds).toEqual([[{ id: expect.stringMatching(/^call_/), name: 'weather', arguments: '{"city":"Paris"}' }]]);
    const callId = rounds[0][0].id;
    expect(response.choice).toBe('It is sunny in Paris.');
    expect(response.messages).toEqual([
      { role: 'assistant', content: 'Let me look.', toolCalls: rounds[0] },
      { role: 'tool', toolCallId: callId, content: '{"sky":"sunny"}' },
      { role: 'assistant', content: 'It is sunny in Paris.' },
    ]);
    expect(sent(0).tools).toEqual([{ type: 'function', function: weather }]);
    expect(sent(1).messages.slice(-2)).toEqual([
      {
        role: 'assistant',
        content: 'Let me look.',
        tool_calls: [{ id: callId, type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }],
      },
      { role: 'tool', tool_call_id: callId, content: '{"sky":"sunny"}' },
    ]);
    if (streamed) expect(deltas.join('')).toBe('Let me look.It is sunny in Paris.');
    // The next call sends the whole exchange again, which the API accepts only in order.
    await chat.complete({ ...req, text: 'Thanks', options: {} });
    expect(sent().messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant', 'user']);
    expect(sent()).not.toHaveProperty('tools');
  });

  it('ends the loop after maxToolRounds with tool_choice none', async () => {
    llm.reply((body) => (body.tool_choice === 'none' ? 'giving up on tools' : { toolCalls: [{ name: 'weather', arguments: '{}' }] }));
    let calls = 0;
    const response = await chat.complete(request({ options: { tools: [weather], maxToolRounds: 2 } }), {
      callTools: async (round) => {
        calls += 1;
        return round.map((call) => ({ toolCallId: call.id, content: 'unknown' }));
      },
    });
    expect(calls).toBe(2);
    expect(llm.requests).toHaveLength(3);
    expect(sent()).toMatchObject({ tool_choice: 'none' });
    expect(response.choice).toBe('giving up on tools');
    expect(response.messages?.map((m) => m.role)).toEqual(['assistant', 'tool', 'assistant', 'tool', 'assistant']);
  });

  it('answers a tool the flow gave no result for with an error text', async () => {
    llm.reply((body) =>
      body.messages.at(-1)!.role === 'tool'
        ? `saw: ${body.messages.at(-1)!.content}`
        : { toolCalls: [{ name: 'weather', arguments: '{}' }] },
    );
    const response = await chat.complete(request({ options: { tools: [weather] } }), { callTools: async () => [] });
    expect(response.choice).toBe('saw: Error: the flow gave no result');
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
