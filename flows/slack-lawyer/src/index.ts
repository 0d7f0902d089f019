import { chatCompletion, env, listenToEvent, log, slack, type FlowEvent } from '@openflows/sdk';

/** The robo-lawyer's instructions, sent before every question (flows.network's prompt prefix). */
const LEGAL_ADVISOR_PROMPT =
  'You are a lawyer and legal advisor. Answer the question below in plain language: name the area of law, ' +
  'the rules that usually apply, what the person could do next, and when they should see a lawyer. ' +
  'Say so when the answer depends on the jurisdiction.';

/** Appended to every answer. */
const DISCLAIMER = '_This is not legal advice. For advice on your situation, consult a qualified lawyer._';

/** The fields of a Slack `message` event this flow reads (Events API, `payload.event`). */
interface SlackMessage {
  channel: string;
  text?: string;
  ts: string;
  thread_ts?: string;
}

export async function run(): Promise<void> {
  await listenToEvent(slack.channel(env('workspace'), env('channel')), ['message'], handler);
}

async function handler(event: FlowEvent): Promise<void> {
  const message = event.payload.event as SlackMessage;
  const question = (message.text ?? '').trim();
  if (question === '') return;
  // No memory: every question is a conversation of its own, started over.
  const { choice } = await chatCompletion(env('openai_key_name'), `question:${message.ts}`, question, {
    systemPrompt: LEGAL_ADVISOR_PROMPT,
    restart: true,
  });
  const posted = await slack.sendMessage(message.channel, `${choice}\n\n${DISCLAIMER}`, { threadTs: message.thread_ts ?? message.ts });
  log.info(`answered question ${message.ts} with message ${posted.ts}`);
}
