/**
 * Time to first token through the web chat: how long after the model's first text chunk leaves the
 * OpenAI stand-in the visitor's event stream carries it. The path measured is the whole platform's:
 * ChatService reading the provider's stream → the run's chat session → the flow's `for await` in its
 * isolate (flows/web-assistant hands the stream to `web.reply`) → `web.reply` back over the bridge →
 * Redis pub/sub → the api's server-sent events → the visitor.
 *
 * Each message's stream is held by the stand-in before its first text chunk (`holdStream(0)`); once
 * the request is waiting there, the clock starts and the stream is released, so the figure is the
 * platform's own overhead, not the model's. Also printed: the whole time from the visitor's POST to
 * the first delta (queueing, the run's start, the model call), for scale. Messages go one at a time
 * (one visitor, one conversation), after a few warm-up ones (the deployment's isolate is then warm).
 *
 *   node dist/bench/web-chat-ttft.js [--messages N] [--warmup W] [--mode separate|standalone]
 *
 * Results and how to read them: docs/benchmarks.md ("Web chat: time to first token").
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bundleFlow } from '@openflows/runtime';
import { Platform } from '@openflows/test-support/platform';

/** The platform's target for its own share of the time to first token (issue 11). */
const TARGET_P50_MS = 20;

interface Update {
  type: string;
  text?: string;
}

/** Reads a `text/event-stream` body, handing each `update` event's data to `onUpdate`. */
async function readEvents(body: ReadableStream<Uint8Array>, onEvent: (event: string, data: unknown) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) onEvent(event, JSON.parse(data));
    }
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const f = (n: number) => n.toFixed(1);
  return `p50 ${f(percentile(sorted, 50))}  p90 ${f(percentile(sorted, 90))}  max ${f(sorted.at(-1)!)} ms`;
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '100' },
      warmup: { type: 'string', default: '10' },
      mode: { type: 'string', default: 'separate' },
    },
  });
  const messages = Number(values.messages);
  const warmup = Number(values.warmup);
  const mode = values.mode === 'standalone' ? 'standalone' : 'separate';
  const stream = new AbortController();
  const platform = await Platform.start({
    mode,
    repositories: [],
    env: { MASTER_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'warn' },
  });
  try {
    await platform.putLlmKey('openai');
    const { name, code } = await bundleFlow(join(__dirname, '..', '..', 'flows', 'web-assistant'));
    const deployed = await platform.request('POST', '/api/flows', { name, code, env: { openai_key_name: 'openai' } });
    if (deployed.status !== 201) throw new Error(`deploy failed: ${deployed.status} ${JSON.stringify(deployed.body)}`);
    const url: string = deployed.body.webChats[0].url;

    const state = await fetch(`${url}/state`);
    const cookie = state.headers
      .getSetCookie()
      .map((line) => line.split(';')[0])
      .join('; ');
    const events = await fetch(`${url}/events`, { headers: { cookie }, signal: stream.signal });
    // Every update of the conversation with the time it arrived, in order.
    const seen: { type: string; at: number }[] = [];
    let notify: () => void = () => undefined;
    let ready!: () => void;
    const opened = new Promise<void>((resolve) => (ready = resolve));
    void readEvents(events.body!, (event, data) => {
      if (event === 'ready') ready();
      if (event !== 'update') return;
      seen.push({ type: (data as Update).type, at: performance.now() });
      notify();
    }).catch(() => undefined);
    await opened;
    /** The first update of `type` from index `from` on. @throws after 15 s without one */
    const until = async (type: string, from: number): Promise<{ index: number; at: number }> => {
      const deadline = performance.now() + 15_000;
      for (;;) {
        const index = seen.findIndex((update, i) => i >= from && update.type === type);
        if (index >= 0) return { index, at: seen[index].at };
        if (performance.now() > deadline) throw new Error(`no ${type} update within 15 s`);
        await new Promise<void>((resolve) => {
          notify = resolve;
          setTimeout(resolve, 100);
        });
      }
    };

    platform.llm.reply(() => 'The first words of a streamed answer, and the rest of it.');
    const overhead: number[] = [];
    const sinceSent: number[] = [];
    for (let i = 0; i < warmup + messages; i++) {
      const release = platform.llm.holdStream(0);
      const requests = platform.llm.requests.length;
      const from = seen.length;
      const sentAt = performance.now();
      const sent = await fetch(`${url}/messages`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json', 'x-openflows-chat': '1' },
        body: JSON.stringify({ text: `question ${i}` }),
      });
      if (sent.status !== 202) throw new Error(`message ${i}: ${sent.status} ${await sent.text()}`);
      while (platform.llm.requests.length === requests) await new Promise((resolve) => setTimeout(resolve, 1));
      // The stand-in answers with its headers and the role chunk, then waits at the hold.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const releasedAt = performance.now();
      release();
      const { at: receivedAt, index } = await until('delta', from);
      await until('end', index);
      if (i >= warmup) {
        overhead.push(receivedAt - releasedAt);
        sinceSent.push(receivedAt - sentAt);
      }
    }
    const p50 = percentile(
      [...overhead].sort((a, b) => a - b),
      50,
    );
    process.stdout.write(
      [
        `web chat, ${mode}, ${messages} messages after ${warmup} warm-up, load average ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
        `platform overhead, stand-in's first chunk → visitor's first delta: ${summary(overhead)}  (target p50 ≤ ${TARGET_P50_MS} ms: ${p50 <= TARGET_P50_MS ? 'met' : 'missed'})`,
        `visitor's POST → first delta (incl. the 20 ms hold, queueing, run start, model request): ${summary(sinceSent)}`,
        '',
      ].join('\n'),
    );
    process.exitCode = p50 <= TARGET_P50_MS ? 0 : 1;
  } finally {
    stream.abort();
    await platform.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
