import {
  chatCompletion,
  createImage,
  env,
  listenToEvent,
  log,
  web,
  type FlowEvent,
  type WebChatMessage,
  type WebChatRole,
} from '@openflows/sdk';

/** The case study's preset roles: the visitor picks one in the page; the first is the default. */
export const ROLES: WebChatRole[] = [
  {
    name: 'Assistant',
    systemPrompt: 'You are a helpful assistant. Answer clearly and concisely; use Markdown for lists and code.',
  },
  {
    name: 'Translator',
    systemPrompt:
      'You are a translator. Translate what the user writes into English; if it is English, translate it into the language ' +
      'they name, else into French. Answer with the translation only.',
  },
  {
    name: 'Code reviewer',
    systemPrompt:
      'You are an experienced code reviewer. Review the code the user sends: point out bugs, security problems and unclear ' +
      'parts, suggest concrete improvements with short code examples in fenced Markdown blocks, and keep praise short.',
  },
];

const FAILED = 'Sorry, something went wrong. Please try again in a moment.';

export async function run(): Promise<void> {
  const password = env('password_secret', '');
  const key = env('openai_key_name');
  await listenToEvent(
    web.chat(env('chat', 'assistant'), {
      title: env('title', 'Assistant'),
      roles: ROLES,
      ...(password ? { password } : {}),
      transcriptionKey: key,
    }),
    ['message'],
    handler,
  );
}

/** `/image <prompt>`: an image answer instead of text. */
const IMAGE_COMMAND = /^\/image\s+(.+)/s;

/**
 * Answers the visitor with the picked role's system prompt, in the visitor's conversation (its own
 * memory; "New chat" or another role starts it over), streamed into the page as the model writes;
 * `/image <prompt>` draws instead.
 */
async function handler(event: FlowEvent<WebChatMessage>): Promise<void> {
  const { chatId, role, restart } = web.context;
  const key = env('openai_key_name');
  try {
    const image = IMAGE_COMMAND.exec(event.payload.text);
    if (image) {
      const { images } = await createImage(key, image[1], { size: '1024x1024' });
      for (const { url, b64Json } of images) await web.replyImage(url ?? `data:image/png;base64,${b64Json}`, { alt: image[1] });
      return;
    }
    const answer = chatCompletion(key, `web:${chatId}`, event.payload.text, {
      systemPrompt: (role ?? ROLES[0]).systemPrompt,
      restart,
      stream: true,
    });
    await web.reply(answer);
  } catch (error) {
    log.error(`the model failed: ${String(error)}`);
    await web.reply(FAILED);
  }
}
