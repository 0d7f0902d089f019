import { objectArgument, textArgument, type ProviderCapability } from '@openflows/common';
import { SdkError } from '@openflows/sdk';
import type { ConversationTranscript } from './conversation-transcript';
import type { ConversationPublisher } from './web-chat-streams';

/** The capability names of `web` in the guest (`libs/sdk/src/web.ts`). */
export const WEB_CAPABILITIES = ['web.reply', 'web.replyImage'];

/** Characters of one answer at most: a flow streaming without end is cut off there. */
const MAX_ANSWER_CHARS = 100_000;

/** Where a run's answers go: the visitor's conversation, and the run's event id that names its answers. */
export interface ReplyTarget {
  conversationKey: string;
  eventId: string;
}

/**
 * The `web` SDK calls of one run attempt, answering the visitor of `target`:
 * - `web.reply [{ delta?, done?, failed? }]`: adds `delta` to the answer being written (a new one
 *   when none is), published to the page at once; `done` completes it and keeps it in the transcript;
 * - `web.replyImage [url, { alt }]`: an image answer.
 * Answers are named `<event id>:<n>` (the n-th of the run), so a retried attempt's answers replace
 * the earlier attempt's on the page and in the transcript instead of adding to them.
 */
export function webCapabilities(
  target: ReplyTarget,
  publisher: ConversationPublisher,
  transcript: ConversationTranscript,
): Record<string, ProviderCapability> {
  let count = 0;
  let open: { id: string; text: string; at: number } | undefined;
  const publish = publisher.publish.bind(publisher, target.conversationKey);

  const reply: ProviderCapability = async ([update]) => {
    const { delta, done, failed } = objectArgument(update, 'the reply');
    if (delta !== undefined) textArgument(delta, 'delta');
    if (!open) open = { id: `${target.eventId}:${++count}`, text: '', at: Date.now() };
    const current = open;
    if (typeof delta === 'string' && delta !== '') {
      if (current.text.length + delta.length > MAX_ANSWER_CHARS) {
        throw new SdkError('INVALID_ARGUMENT', `an answer may have ${MAX_ANSWER_CHARS} characters at most`);
      }
      await publish({ type: 'delta', reply: current.id, text: delta, ...(current.text === '' ? { start: true } : {}) });
      current.text += delta;
    }
    if (done === true) {
      open = undefined;
      await transcript.record(target.conversationKey, { kind: 'answer', id: current.id, at: current.at, text: current.text });
      await publish({ type: 'done', reply: current.id, ...(failed === true ? { failed: true } : {}) });
    }
    return {};
  };

  const replyImage: ProviderCapability = async ([url, options]) => {
    const link = textArgument(url, 'url');
    if (!/^(https?:|data:image\/)/i.test(link) || link.length > 2_000_000) {
      throw new SdkError('INVALID_ARGUMENT', 'web.replyImage needs an https:, http: or data:image/ URL (at most 2 MB)');
    }
    const alt = objectArgument(options, 'options').alt;
    const id = `${target.eventId}:${++count}`;
    const altText = typeof alt === 'string' ? alt : undefined;
    await transcript.record(target.conversationKey, { kind: 'image', id, at: Date.now(), url: link, ...(altText ? { alt: altText } : {}) });
    await publish({ type: 'image', reply: id, url: link, ...(altText ? { alt: altText } : {}) });
    return {};
  };

  return { 'web.reply': reply, 'web.replyImage': replyImage };
}
