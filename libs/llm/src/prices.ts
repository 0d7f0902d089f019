import type { MediaUsage } from './media.service';

/** USD per million tokens, prompt (input) and completion (output). */
export interface TokenPrice {
  prompt: number;
  completion: number;
}

/**
 * Standard prices of OpenAI models in USD per million tokens, as OpenAI's pricing page listed them
 * in 2025 (no cached-input or batch discounts). Longest prefix first: the first match wins. Estimates
 * only: a key's own `promptPrice`/`completionPrice` win, and models not listed cost 0.
 */
const TOKEN_PRICES: [prefix: string, price: TokenPrice][] = [
  ['gpt-4.1-nano', { prompt: 0.1, completion: 0.4 }],
  ['gpt-4.1-mini', { prompt: 0.4, completion: 1.6 }],
  ['gpt-4.1', { prompt: 2, completion: 8 }],
  ['gpt-4o-mini-transcribe', { prompt: 1.25, completion: 5 }],
  ['gpt-4o-transcribe', { prompt: 2.5, completion: 10 }],
  ['gpt-4o-mini', { prompt: 0.15, completion: 0.6 }],
  ['gpt-4o', { prompt: 2.5, completion: 10 }],
  ['gpt-4-turbo', { prompt: 10, completion: 30 }],
  ['gpt-4', { prompt: 30, completion: 60 }],
  ['gpt-3.5-turbo', { prompt: 0.5, completion: 1.5 }],
  ['gpt-image-1', { prompt: 5, completion: 40 }],
  ['o4-mini', { prompt: 1.1, completion: 4.4 }],
  ['o3-mini', { prompt: 1.1, completion: 4.4 }],
  ['o3', { prompt: 2, completion: 8 }],
  ['o1-mini', { prompt: 1.1, completion: 4.4 }],
  ['o1', { prompt: 15, completion: 60 }],
  ['text-embedding-3-small', { prompt: 0.02, completion: 0 }],
  ['text-embedding-3-large', { prompt: 0.13, completion: 0 }],
  ['text-embedding-ada-002', { prompt: 0.1, completion: 0 }],
];

/** USD per image of the DALL·E models by size (standard quality; `hd` of dall-e-3 in its own column). */
const IMAGE_PRICES: Record<string, Record<string, { standard: number; hd?: number }>> = {
  'dall-e-2': { '256x256': { standard: 0.016 }, '512x512': { standard: 0.018 }, '1024x1024': { standard: 0.02 } },
  'dall-e-3': {
    '1024x1024': { standard: 0.04, hd: 0.08 },
    '1024x1792': { standard: 0.08, hd: 0.12 },
    '1792x1024': { standard: 0.08, hd: 0.12 },
  },
};

/** USD per minute of audio of the models billed by duration. */
const AUDIO_MINUTE_PRICES: Record<string, number> = { 'whisper-1': 0.006 };

/** The table's price of `model`, or undefined when it is not listed. */
export function tokenPriceFor(model: string): TokenPrice | undefined {
  return TOKEN_PRICES.find(([prefix]) => model.startsWith(prefix))?.[1];
}

/**
 * The estimated cost in USD of one call's usage: tokens at the key's price when it sets one, else the
 * table's; DALL·E images per image and size; Whisper audio per minute. Unknown models cost 0.
 */
export function costOf(
  usage: Pick<MediaUsage, 'model' | 'promptTokens' | 'completionTokens' | 'images' | 'audioSeconds'>,
  override?: Partial<TokenPrice>,
): number {
  const table = tokenPriceFor(usage.model);
  const prompt = override?.prompt ?? table?.prompt ?? 0;
  const completion = override?.completion ?? table?.completion ?? 0;
  let cost = (usage.promptTokens * prompt + usage.completionTokens * completion) / 1e6;
  const images = usage.images;
  const perSize = images ? IMAGE_PRICES[usage.model]?.[images.size] : undefined;
  if (images && perSize) cost += images.count * (images.quality === 'hd' ? (perSize.hd ?? perSize.standard) : perSize.standard);
  const perMinute = AUDIO_MINUTE_PRICES[usage.model];
  if (usage.audioSeconds !== undefined && perMinute !== undefined) cost += (usage.audioSeconds / 60) * perMinute;
  return cost;
}
