import { chatCompletion, discord, env, listenToEvent, log, store, type DiscordCommand, type FlowEvent } from '@openflows/sdk';

const DEFAULT_SYSTEM_PROMPT = 'You are a helpful assistant in a Discord channel. Be concise; use Discord markdown.';
/** How long a pending `/restart` waits for the next question (seconds). */
const RESTART_TTL = 24 * 3600;
/** Discord's limit of a message's content (characters). */
const MESSAGE_LIMIT = 2000;

/** Registered by the platform at deploy as the application's slash commands. */
const COMMANDS: DiscordCommand[] = [
  {
    name: 'ask',
    description: 'Ask the assistant; everyone in the channel shares the conversation',
    options: [{ type: 3, name: 'question', description: 'Your question', required: true }],
  },
  { name: 'restart', description: 'Start the conversation of this channel over' },
];

/** The fields of an APPLICATION_COMMAND interaction this flow reads (Discord's Interaction Object). */
interface CommandInteraction {
  data: { options?: { name: string; value?: unknown }[] };
}

export async function run(): Promise<void> {
  await listenToEvent(discord.commands(env('app'), COMMANDS), ['ask', 'restart'], handler);
}

async function handler(event: FlowEvent<CommandInteraction>): Promise<void> {
  const { chatId, threadId, sender } = discord.context;
  const conversation = threadId ? `${chatId}/${threadId}` : chatId;
  if (event.name === 'restart') {
    await store.set(restartKey(conversation), true, { ttl: RESTART_TTL });
    await discord.sendMessage(chatId, 'Ok, I am starting a new conversation.', { threadId });
    return;
  }
  const question = String(event.payload.data.options?.find((o) => o.name === 'question')?.value ?? '').trim();
  const restart = (await store.get(restartKey(conversation))) === true;
  const { choice } = await chatCompletion(env('openai_key_name'), conversation, question, {
    systemPrompt: env('system_prompt', DEFAULT_SYSTEM_PROMPT),
    restart,
  });
  if (restart) await store.del(restartKey(conversation));
  // The first part fills in Discord's "thinking…" answer to the command; longer answers follow it.
  for (const part of parts(`> ${question}\n${choice}`)) await discord.sendMessage(chatId, part, { threadId });
  log.info(`answered ${sender.name ?? sender.id} in ${conversation}`);
}

/** `text` cut into messages Discord accepts, at line ends where it can. */
function parts(text: string): string[] {
  const result: string[] = [];
  let rest = text;
  while (rest.length > MESSAGE_LIMIT) {
    const cut = rest.lastIndexOf('\n', MESSAGE_LIMIT);
    const at = cut > 0 ? cut : MESSAGE_LIMIT;
    result.push(rest.slice(0, at));
    rest = rest.slice(at).replace(/^\n/, '');
  }
  return [...result, rest];
}

function restartKey(conversation: string): string {
  return `restart:${conversation}`;
}
