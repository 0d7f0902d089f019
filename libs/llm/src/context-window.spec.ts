import { SdkError } from '@openflows/sdk/types';
import { countTokens as cl100kCount } from 'gpt-tokenizer/cjs/encoding/cl100k_base';
import { countTokens as o200kCount } from 'gpt-tokenizer/cjs/encoding/o200k_base';
import { contextWindowFor, fitHistory, messageTokens, summaryMessage, type FitInput } from './context-window';
import type { ChatTurn } from './conversation.store';

// OpenAI's documented accounting, written out independently of the code under test.
const perMessage = (count: (text: string) => number, role: string, content: string) => 3 + count(role) + count(content);

const turn = (n: number, words = 20): ChatTurn[] => [
  { role: 'user', content: `question ${n} ` + 'lorem '.repeat(words) },
  { role: 'assistant', content: `answer ${n} ` + 'ipsum '.repeat(words) },
];

describe('contextWindowFor', () => {
  it.each([
    ['gpt-4o-mini', 128_000],
    ['gpt-4o-2024-08-06', 128_000],
    ['gpt-4.1-nano', 1_047_576],
    ['o3-mini', 128_000],
    ['o1', 128_000],
    ['gpt-4-turbo-2024-04-09', 128_000],
    ['gpt-4-0613', 8_192],
    ['gpt-4', 8_192],
    ['gpt-3.5-turbo-0125', 16_385],
    ['llama3:8b', 8_192],
  ])('%s has %d tokens', (model, tokens) => {
    expect(contextWindowFor(model)).toBe(tokens);
  });

  it('prefers the key override', () => {
    expect(contextWindowFor('llama3:8b', 32_768)).toBe(32_768);
  });

  it('refuses an override that is not a positive integer', () => {
    expect(() => contextWindowFor('gpt-4o', 0)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => contextWindowFor('gpt-4o', 1.5)).toThrow(SdkError);
  });
});

describe('messageTokens', () => {
  const text = 'Ünïcödé — naïve café, 東京 ... 🙂';
  const plain = { disallowedSpecial: new Set<string>() };

  it('uses cl100k_base for gpt-4 and gpt-3.5, o200k_base otherwise, plus the per-message framing', () => {
    expect(cl100kCount(text)).not.toBe(o200kCount(text));
    expect(messageTokens('gpt-4', 'user', text)).toBe(perMessage(cl100kCount, 'user', text));
    expect(messageTokens('gpt-3.5-turbo-0125', 'user', text)).toBe(perMessage(cl100kCount, 'user', text));
    expect(messageTokens('gpt-4o-mini', 'user', text)).toBe(perMessage(o200kCount, 'user', text));
    expect(messageTokens('gpt-4.1', 'user', text)).toBe(perMessage(o200kCount, 'user', text));
    expect(messageTokens('llama3', 'user', text)).toBe(perMessage(o200kCount, 'user', text));
  });

  it('reads special-token strings in user text as plain text instead of throwing', () => {
    const tricky = 'say <|endoftext|> please';
    expect(messageTokens('gpt-4o', 'user', tricky)).toBe(3 + o200kCount('user') + o200kCount(tricky, plain));
  });
});

describe('fitHistory', () => {
  const model = 'gpt-4o';
  const systemPrompt = 'You are a helpful bot.';
  const newText = 'and now?';
  const history = [...turn(1), ...turn(2), ...turn(3)];
  const tokensOf = (messages: ChatTurn[]) => messages.reduce((sum, m) => sum + perMessage(o200kCount, m.role, m.content), 0);
  const fixed = (summary?: string) =>
    3 +
    perMessage(o200kCount, 'system', systemPrompt) +
    (summary === undefined ? 0 : perMessage(o200kCount, 'system', summaryMessage(summary))) +
    perMessage(o200kCount, 'user', newText) +
    100;
  const input = (window: number, over: Partial<FitInput> = {}): FitInput => ({
    systemPrompt,
    messages: history,
    newText,
    model,
    window,
    reserveForAnswer: 100,
    ...over,
  });

  it('keeps everything when it fits exactly', () => {
    const window = fixed() + tokensOf(history);
    expect(fitHistory(input(window))).toEqual({ kept: history, dropped: [] });
  });

  it('drops the oldest whole turn when one token is missing', () => {
    const window = fixed() + tokensOf(history) - 1;
    expect(fitHistory(input(window))).toEqual({ kept: history.slice(2), dropped: history.slice(0, 2) });
  });

  it('never keeps half a turn', () => {
    // Room for the newest turn plus the assistant half of the one before.
    const window = fixed() + tokensOf(history.slice(4)) + tokensOf(history.slice(3, 4));
    const { kept, dropped } = fitHistory(input(window));
    expect(kept).toEqual(history.slice(4));
    expect(dropped).toEqual(history.slice(0, 4));
  });

  it('counts the summary against the window', () => {
    const summary = 'They talked about lorem ipsum at length.';
    // One token short of everything once the summary is counted.
    const window = fixed(summary) + tokensOf(history) - 1;
    expect(fitHistory(input(window, { summary })).kept).toEqual(history.slice(2));
    expect(fitHistory(input(window)).kept).toEqual(history);
  });

  it('keeps nothing of the history when only the new text fits', () => {
    expect(fitHistory(input(fixed()))).toEqual({ kept: [], dropped: history });
  });

  it('refuses a new text that cannot fit', () => {
    const call = () => fitHistory(input(fixed() - 1));
    expect(call).toThrow(SdkError);
    expect(call).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(call).toThrow(/too long for model gpt-4o/);
  });

  it('treats a leading assistant message as a turn of its own', () => {
    const messages = [history[1], ...history.slice(2)];
    const window = fixed() + tokensOf(messages);
    expect(fitHistory(input(window, { messages })).kept).toEqual(messages);
    expect(fitHistory(input(window - 1, { messages })).kept).toEqual(history.slice(2));
  });
});
