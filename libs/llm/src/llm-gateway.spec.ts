/**
 * The LLM surface through the isolation bridge: flow bundles run in a real isolate (`executeFlow`)
 * with the run's services from {@link LlmGateway} (real ChatService and MediaService, Redis memory
 * and usage), against the OpenAI stand-in.
 */
import { randomUUID } from 'node:crypto';
import { SdkError } from '@openflows/sdk/types';
import type { FlowLogger } from '@openflows/sdk';
import { EffectJournal, createFlowFetch, createFlowStore, executeFlow, type RunServices } from '@openflows/runtime';
import { useTestRedis } from '@openflows/test-support/redis';
import { startOpenAiStandIn, type OpenAiStandIn } from '@openflows/test-support/openai-stand-in';
import { toneWav } from '@openflows/test-support/wav';
import { ChatService } from './chat.service';
import { RedisConversationMemory } from './conversation.store';
import { LlmGateway, type LlmCallRecord } from './llm-gateway';
import { LlmUsageStore } from './llm-usage.store';
import { MediaService } from './media.service';

const API_KEY = 'sk-test-0123456789abcdef';

describe('LlmGateway through a flow isolate', () => {
  const testRedis = useTestRedis('llm-gateway');
  let llm: OpenAiStandIn;
  let usage: LlmUsageStore;
  let memory: RedisConversationMemory;

  beforeEach(async () => {
    llm = await startOpenAiStandIn({ apiKey: API_KEY });
    usage = new LlmUsageStore(testRedis.redis, testRedis.prefix);
    memory = new RedisConversationMemory(testRedis.redis, testRedis.prefix, 600);
  });

  afterEach(async () => {
    await llm.close();
  });

  /** Runs `handler` (JS source of an async function of the event) once; returns its log lines and the calls accounted. */
  async function runFlow(handler: string, flowId = `flow-${randomUUID()}`, journal?: EffectJournal) {
    const clients = { defaultBaseUrl: llm.url, maxRetries: 0 };
    const gateway = new LlmGateway(new ChatService(memory, clients), new MediaService(clients), usage);
    const lines: string[] = [];
    const calls: LlmCallRecord[] = [];
    const line = (level: string) => (message: string) => lines.push(`${level}: ${message}`);
    const log: FlowLogger = { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
    const run = gateway.forRun({
      flowId,
      key: async (name) => {
        if (name !== 'openai') throw new SdkError('SECRET_NOT_FOUND', `no secret named "${name}"`);
        return { apiKey: API_KEY, baseURL: llm.url, model: 'gpt-4o-mini' };
      },
      used: (call) => calls.push(call),
    });
    const egress = { allow: ['127.0.0.1:*'], maxRequests: 5, maxResponseBytes: 1_000_000, timeoutMs: 5000 };
    const services: RunServices = {
      ...run,
      store: createFlowStore(testRedis.redis, testRedis.prefix, flowId),
      fetch: createFlowFetch(egress, (l) => lines.push(`fetch: ${l}`)),
      log,
      providers: {},
      ...(journal ? { journal } : {}),
    };
    const bundle = `"use strict";
const sdk = require("@openflows/sdk");
const { listenToEvent, github, log } = sdk;
exports.run = async function run() {
  await listenToEvent(github.repo("octo", "hello"), ["issues"], ${handler});
};`;
    const event = { id: randomUUID(), provider: 'github', name: 'issues', deliveryId: randomUUID(), target: 'octo/hello', payload: {} };
    const result = await executeFlow({ flowName: 'llm-flow', bundle, env: {}, event, services });
    return { result, lines, calls, flowId };
  }

  it('streams deltas into the flow, the whole answer in response, the history stored once', async () => {
    llm.reply(() => ({ content: 'one two three four', chunks: ['one', ' two', ' three', ' four'], promptTokens: 10, completionTokens: 4 }));
    const { lines, calls, flowId } = await runFlow(`async () => {
      const stream = sdk.chatCompletion("openai", "chat#1", "count", { stream: true, systemPrompt: "Count." });
      let text = "";
      for await (const delta of stream) text += delta;
      const response = await stream.response;
      log.info("deltas " + text + " | choice " + response.choice + " | " + response.usage.completionTokens);
    }`);
    expect(lines).toContain('info: deltas one two three four | choice one two three four | 4');
    expect(llm.requests.at(-1)!.body).toMatchObject({ stream: true, messages: [{ role: 'system' }, { role: 'user', content: 'count' }] });
    expect(calls).toEqual([
      expect.objectContaining({
        kind: 'chat',
        model: 'gpt-4o-mini',
        promptTokens: 10,
        completionTokens: 4,
        conversationId: 'chat#1',
        restarted: true,
      }),
    ]);
    // gpt-4o-mini: $0.15 / $0.60 per million tokens.
    expect(calls[0].costUsd).toBeCloseTo((10 * 0.15 + 4 * 0.6) / 1e6, 12);
    expect((await memory.load(flowId, 'chat#1'))?.messages).toEqual([
      { role: 'user', content: 'count' },
      { role: 'assistant', content: 'one two three four' },
    ]);
  });

  it('gives the flow the error of a failed stream through the iteration and the response', async () => {
    llm.failNext(400);
    const { lines } = await runFlow(`async () => {
      const stream = sdk.chatCompletion("openai", "chat#2", "hi", { stream: true });
      try { for await (const _ of stream) {} } catch (e) { log.info("iteration " + e.code + " " + e.message); }
      await stream.response.catch((e) => log.info("response " + e.code));
    }`);
    expect(lines).toEqual(['info: iteration LLM_FAILED 400 stand-in failure 400', 'info: response LLM_FAILED']);
  });

  it('runs tool handlers in the flow and keeps the calls and results in the history', async () => {
    llm.reply((body) => {
      const last = body.messages.at(-1)!;
      if (last.role === 'tool') return `The sum is ${last.content}.`;
      return {
        toolCalls: [
          { name: 'add', arguments: '{"a":2,"b":40}' },
          { name: 'broken', arguments: '{}' },
        ],
      };
    });
    const { lines, flowId } = await runFlow(`async () => {
      const tools = [
        { name: "add", description: "Adds", parameters: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } } },
          handler: async ({ a, b }) => { log.info("add " + a + " " + b); return a + b; } },
        { name: "broken", handler: () => { throw new Error("no luck"); } },
      ];
      const response = await sdk.chatCompletion("openai", "calc", "2 + 40?", { tools });
      log.info(response.choice + " | " + response.messages.map((m) => m.role).join(","));
    }`);
    expect(lines).toEqual(['info: add 2 40', 'info: The sum is Error: no luck. | assistant,tool,tool,assistant']);
    const toolMessages = llm.requests
      .at(-1)!
      .body.messages.filter((m) => m.role === 'tool')
      .map((m) => m.content);
    expect(toolMessages).toEqual(['42', 'Error: no luck']);
    const stored = (await memory.load(flowId, 'calc'))!.messages;
    expect(stored.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'tool', 'assistant']);
    expect(stored[1].toolCalls?.map((c) => c.name)).toEqual(['add', 'broken']);
  });

  it('takes a flow-kept message list with tools and gives back the messages to append', async () => {
    llm.reply((body) => {
      const last = body.messages.at(-1)!;
      if (last.role === 'tool') return 'It is 12:00.';
      return body.tools ? { toolCalls: [{ name: 'clock', arguments: '' }] } : `echo: ${last.content}`;
    });
    const { lines } = await runFlow(`async () => {
      const list = [{ role: "user", content: "Time?" }];
      const stream = sdk.chatCompletion("openai", list, { stream: true, tools: [{ name: "clock", handler: () => "12:00" }] });
      const deltas = [];
      for await (const d of stream) deltas.push(d);
      const response = await stream.response;
      list.push(...response.messages);
      log.info(deltas.join("") + " | " + JSON.stringify(list.map((m) => [m.role, m.content, m.toolCallId ? "id" : ""])));
      const again = await sdk.chatCompletion("openai", [...list, { role: "user", content: "Thanks" }]);
      log.info(again.choice + " " + again.restarted);
    }`);
    expect(lines).toEqual([
      'info: It is 12:00. | [["user","Time?",""],["assistant","",""],["tool","12:00","id"],["assistant","It is 12:00.",""]]',
      'info: echo: Thanks false',
    ]);
  });

  it('ends a stream the flow did not wait for when the run ends, storing nothing', async () => {
    const release = llm.holdStream(1);
    const { result, flowId } = await runFlow(`async () => {
      sdk.chatCompletion("openai", "left", "hi", { stream: true });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }`);
    expect(result.handled).toBe(1);
    release();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await memory.load(flowId, 'left')).toBeUndefined();
  });

  it('journals a chat call and an image: a retried run gets them again without asking the provider', async () => {
    const runId = randomUUID();
    const journal = (retry: boolean) =>
      new EffectJournal(testRedis.redis, `${testRedis.prefix}:journal:${runId}`, { id: runId, retry, startedAt: new Date().toISOString() });
    const handler = `async () => {
      const tools = [{ name: "note", handler: () => { log.info("tool ran"); return "noted"; } }];
      const stream = sdk.chatCompletion("openai", "j", "hi", { stream: true, tools });
      const deltas = [];
      for await (const d of stream) deltas.push(d);
      const image = await sdk.createImage("openai", "a dot", { responseFormat: "b64_json" });
      log.info(JSON.stringify(deltas) + " " + (await stream.response).choice + " " + image.images.length);
    }`;
    llm.reply((body) =>
      body.messages.at(-1)!.role === 'tool'
        ? { content: 'all done', chunks: ['all', ' done'] }
        : { toolCalls: [{ name: 'note', arguments: '{}' }] },
    );
    const flowId = `flow-${randomUUID()}`;
    const first = await runFlow(handler, flowId, journal(false));
    expect(first.lines).toEqual(['info: tool ran', 'info: ["all"," done"] all done 1']);
    const requests = llm.requests.length;
    const retried = await runFlow(handler, flowId, journal(true));
    expect(retried.lines).toEqual(['info: ["all done"] all done 1']);
    expect(llm.requests).toHaveLength(requests);
    expect(retried.calls).toEqual([]);
  });

  it('makes images, transcribes base64 and URL audio under the egress policy, and embeds texts', async () => {
    const wav = toneWav(1500).toString('base64');
    const { lines, calls } = await runFlow(`async () => {
      const image = await sdk.createImage("openai", "a red square", { size: "512x512", n: 2, model: "dall-e-2" });
      log.info("images " + image.images.length + " " + image.images[0].url);
      const heard = await sdk.transcribe("openai", { base64: "${wav}", filename: "hello.wav" }, { language: "en" });
      log.info("heard " + heard.text);
      const fetched = await sdk.transcribe("openai", { url: "${llm.url}/files/not-audio.png" }).catch((e) => e.code + " " + e.message);
      log.info("fetched " + fetched);
      const vectors = await sdk.createEmbeddings("openai", ["cat", "dog", "cat"], { dimensions: 4 });
      log.info("vectors " + vectors.embeddings.length + " " + vectors.embeddings[0].length + " " + (vectors.embeddings[0].join() === vectors.embeddings[2].join()));
    }`);
    expect(lines[0]).toMatch(new RegExp(`^info: images 2 ${llm.url}/files/image-`));
    expect(lines[1]).toBe(`info: heard transcribed ${toneWav(1500).length} bytes of hello.wav`);
    // The stand-in serves a PNG there, which the transcription endpoint refuses as the API does.
    expect(lines).toContainEqual(expect.stringMatching(/^fetch: fetch GET 127\.0\.0\.1:\d+ 200/));
    expect(lines).toContainEqual(expect.stringMatching(/^info: fetched LLM_FAILED 400 Invalid file format/));
    expect(lines.at(-1)).toBe('info: vectors 3 4 true');
    const upload = llm.requests.find((r) => r.path === '/v1/audio/transcriptions')!.upload!;
    expect(upload.fields).toEqual({ model: 'whisper-1', response_format: 'json', language: 'en' });
    expect(llm.requests.find((r) => r.path === '/v1/embeddings')!.body).toMatchObject({ encoding_format: 'base64', dimensions: 4 });
    expect(calls.map((c) => [c.kind, c.model])).toEqual([
      ['image', 'dall-e-2'],
      ['transcription', 'whisper-1'],
      ['embeddings', 'text-embedding-3-small'],
    ]);
    expect(calls[0].costUsd).toBeCloseTo(2 * 0.018, 9);
    expect(calls[1].costUsd).toBeCloseTo((1.5 / 60) * 0.006, 9);
  });

  it('records usage per flow and day, and refuses calls past the monthly budget with BUDGET_EXCEEDED', async () => {
    const flowId = `flow-${randomUUID()}`;
    llm.reply(() => ({ content: 'ok', promptTokens: 60, completionTokens: 40 }));
    await usage.setBudget(flowId, 150);
    const { lines } = await runFlow(
      `async () => {
        for (let i = 0; i < 3; i++) {
          try { await sdk.chatCompletion("openai", "b", "hi " + i); log.info("answered " + i); }
          catch (e) { log.info("refused " + i + " " + e.code + ": " + e.message); }
        }
      }`,
      flowId,
    );
    expect(lines.slice(0, 2)).toEqual(['info: answered 0', 'info: answered 1']);
    expect(lines[2]).toMatch(/^info: refused 2 BUDGET_EXCEEDED: the flow used 200 of its 150 LLM tokens for \d{4}-\d\d/);
    expect(llm.requests).toHaveLength(2);
    const [today] = await usage.days(flowId, 1);
    expect(today).toEqual({
      date: new Date().toISOString().slice(0, 10),
      calls: 2,
      promptTokens: 120,
      completionTokens: 80,
      costUsd: (120 * 0.15 + 80 * 0.6) / 1e6,
    });
  });
});
