/**
 * The web chat in a real browser (Debian's chromium driven by playwright-core) against the real api
 * and worker processes on PostgreSQL and Redis, with the OpenAI stand-in: flows/web-assistant deployed
 * twice (open, and behind a password secret) and the web-stream fixture. A visitor opens the chat by
 * its URL, sends messages and sees the answers (streamed ones grow over several server-sent events,
 * rendered as Markdown with highlighted code), starts a new chat, switches roles (the model gets the
 * role's system prompt), passes the password gate after a wrong try, speaks a voice message (a WAV
 * spoken by espeak-ng, fed to Chromium's fake microphone and also uploaded as the page does), and uses
 * the page on a phone-sized screen. Also: the URL is kept across redeploys and rotated on request, a
 * visitor reaches nothing of the API, wrong passwords are rate-limited. Screenshots go to docs/screenshots/.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { bundleFlow } from '@openflows/runtime';
import type { ChatCompletionBody } from '@openflows/test-support/openai-stand-in';
import { Platform } from '@openflows/test-support/platform';
import { waitFor } from '@openflows/test-support/processes';

const ROOT = join(__dirname, '..');
const SHOTS = join(ROOT, 'docs', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const MASTER_KEY = randomBytes(32).toString('base64');
const API_TOKEN = `e2e-${randomBytes(16).toString('hex')}`;
const PASSWORD = 'open sesame, 42 times';
const SPOKEN = 'hello from the microphone';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-sync',
];

jest.setTimeout(120_000);

let platform: Platform;
let browser: Browser;
let work: string;
let wav: string;
/** The chats' URLs as the API lists them. */
const urls: Record<string, string> = {};

const shot = (p: Page, name: string) => p.screenshot({ path: join(SHOTS, `${name}.png`) });

/** The user turns of the last chat completion the stand-in received: the conversation as the model saw it. */
const lastChat = () => platform.llm.requests.filter((r) => r.path === '/v1/chat/completions').at(-1)!.body;
const userTurns = (body: ChatCompletionBody) => body.messages.filter((m) => m.role === 'user').map((m) => m.content);

/** Speaks `text` into a WAV with espeak-ng (an ES module with WASM: run in its own Node process). */
function speak(text: string, file: string): void {
  const script = `
    import ESpeakNg from 'espeak-ng';
    import { writeFileSync } from 'node:fs';
    const espeak = await ESpeakNg({ arguments: ['-v', 'en-us', '-w', 'out.wav', ${JSON.stringify(text)}] });
    writeFileSync(${JSON.stringify(file)}, espeak.FS.readFile('out.wav'));`;
  execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT });
}

/** Deploys the bundle of `folder` as flow `name` (through the API, with the API token). */
async function deploy(folder: string, name: string, env: Record<string, string>): Promise<any> {
  const { code } = await bundleFlow(join(ROOT, folder));
  const res = await platform.request('POST', '/api/flows', { name, code, env });
  if (res.status !== 201) throw new Error(`deploy of ${name} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A visitor's fresh browser profile; phone-sized with `phone`. */
function visitor(options: { phone?: boolean } = {}): Promise<BrowserContext> {
  return options.phone
    ? browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'en-GB' })
    : browser.newContext({ viewport: { width: 1024, height: 760 }, locale: 'en-GB' });
}

/** Opens a chat page and waits until it listens to its conversation. */
async function openChat(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
  return page;
}

/** Sends `text` from the page and waits for the answer bubble number `n` (1-based) to be complete. */
async function ask(page: Page, text: string, n: number): Promise<string> {
  await page.locator('#message').fill(text);
  await page.locator('#message').press('Enter');
  // An answer bubble is `streaming` from its first delta until its `done`.
  const answer = page.locator('.bubble.answer:not(.pending):not(.streaming)').nth(n - 1);
  await answer.waitFor({ timeout: 20_000 });
  return (await answer.textContent()) ?? '';
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)`);
  mkdirSync(SHOTS, { recursive: true });
  work = mkdtempSync(join(tmpdir(), 'openflows-web-chat-'));
  wav = join(work, 'spoken.wav');
  speak(SPOKEN, wav);
  platform = await Platform.start({ mode: 'separate', repositories: [], env: { MASTER_KEY, API_TOKEN } });
  // The model answers with the start of its system prompt and the visitor's last words, so tests see both.
  platform.llm.reply((body) => `[${body.messages[0].content.split(/[.,]/)[0]}] You said: ${userTurns(body).at(-1)}`);
  platform.llm.transcript(() => SPOKEN);
  await platform.putLlmKey('openai');
  expect((await platform.request('PUT', '/api/secrets/chat-password', { value: PASSWORD })).status).toBe(200);
  await deploy('flows/web-assistant', 'web-assistant', { openai_key_name: 'openai' });
  await deploy('flows/web-assistant', 'locked-assistant', {
    openai_key_name: 'openai',
    password_secret: 'chat-password',
    title: 'Team chat',
  });
  await deploy('test/fixtures/flows/web-stream', 'web-stream', {});
  for (const flow of ['web-assistant', 'locked-assistant', 'web-stream']) {
    const { body } = await platform.request('GET', `/api/flows/${flow}`);
    urls[flow] = body.webChats[0].url;
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  if (process.env.E2E_SHOW_OUTPUT) process.stdout.write(platform?.output() ?? '');
  await browser?.close();
  await platform?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the chat URL', () => {
  test('GET /api/flows/:name lists the chat with its URL and an iframe snippet; a redeploy keeps the URL', async () => {
    const { body } = await platform.request('GET', '/api/flows/web-assistant');
    expect(body.webChats).toEqual([
      { name: 'assistant', url: expect.stringMatching(/^http:\/\/localhost:\d+\/chat\/[A-Za-z0-9_-]{32}$/), embed: expect.any(String) },
    ]);
    expect(body.webChats[0].embed).toContain(`<iframe src="${body.webChats[0].url}"`);
    const again = await deploy('flows/web-assistant', 'web-assistant', { openai_key_name: 'openai' });
    expect(again.webChats[0].url).toBe(urls['web-assistant']);
  });

  test('a visitor reaches nothing of the API or the dashboard with the chat cookie', async () => {
    const context = await visitor();
    try {
      await openChat(context, urls['web-assistant']);
      expect((await context.cookies()).map((c) => [c.name, c.httpOnly, c.sameSite, c.path])).toEqual([
        ['openflows_chat', true, 'Lax', new URL(urls['web-assistant']).pathname],
      ]);
      const api = await context.request.get(urls['web-assistant'].replace(/\/chat\/.*/, '/api/flows'));
      expect(api.status()).toBe(401);
      const page = await context.newPage();
      await page.goto(urls['web-assistant'].replace(/\/chat\/.*/, '/flows'));
      await page.waitForURL((url) => url.pathname === '/login');
    } finally {
      await context.close();
    }
  });
});

describe('chatting', () => {
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    context = await visitor();
    page = await openChat(context, urls['web-assistant']);
  });
  afterAll(() => context.close());

  test('the visitor sends a message and sees the answer; the model got the first role, the conversation keeps its memory', async () => {
    await page.locator('h1', { hasText: 'Assistant' }).waitFor();
    expect(await page.locator('#role option').allTextContents()).toEqual(['Assistant', 'Translator', 'Code reviewer']);
    expect(await ask(page, 'What is OpenFlows?', 1)).toBe('[You are a helpful assistant] You said: What is OpenFlows?');
    expect(lastChat().messages[0]).toEqual({ role: 'system', content: expect.stringMatching(/^You are a helpful assistant/) });
    expect(lastChat().stream).toBe(true);
    await ask(page, 'And what can it do?', 2);
    expect(userTurns(lastChat())).toEqual(['What is OpenFlows?', 'And what can it do?']);
  });

  test("the model's stream reaches the page as it is written: part of the answer shows before the rest exists", async () => {
    platform.llm.reply(() => 'one two three four five');
    const release = platform.llm.holdStream(2);
    try {
      await page.locator('#message').fill('Count');
      await page.locator('#message').press('Enter');
      // The stand-in cuts the answer into words (`one`, ` two`, …) and holds after the second.
      const partial = page.locator('.bubble.answer.streaming', { hasText: 'one two' });
      await partial.waitFor({ timeout: 20_000 });
      expect(await partial.textContent()).toBe('one two');
    } finally {
      release();
    }
    await page.locator('.bubble.answer:not(.streaming)', { hasText: 'one two three four five' }).waitFor();
    expect(await page.locator('.bubble.answer').count()).toBe(3);
    platform.llm.reply((body) => `[${body.messages[0].content.split(/[.,]/)[0]}] You said: ${userTurns(body).at(-1)}`);
  });

  test('"/image <prompt>" answers with a generated image', async () => {
    await page.locator('#message').fill('/image a red square');
    await page.locator('#message').press('Enter');
    const image = page.locator('.bubble.image img[alt="a red square"]');
    await image.waitFor({ timeout: 20_000 });
    await waitFor('the image to load', async () => (await image.evaluate((img) => (img as { naturalWidth: number }).naturalWidth)) === 1);
    expect(platform.llm.requests.filter((r) => r.path === '/v1/images/generations').at(-1)!.body).toMatchObject({ prompt: 'a red square' });
  });

  test('a reload shows the conversation so far', async () => {
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.locator('.bubble.visitor').allTextContents()).toEqual([
      'What is OpenFlows?',
      'And what can it do?',
      'Count',
      '/image a red square',
    ]);
    expect(await page.locator('.bubble.answer').count()).toBe(4);
    await page.locator('.bubble.image img[alt="a red square"]').waitFor();
  });

  test('"New chat" starts a new conversation: the model no longer sees the earlier messages', async () => {
    await page.locator('#new-chat').click();
    await page.getByText('New chat.').waitFor();
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.locator('.bubble.visitor').count()).toBe(0);
    await ask(page, 'Fresh start', 1);
    expect(userTurns(lastChat())).toEqual(['Fresh start']);
  });

  test('picking another role starts over with that role: the model gets its system prompt', async () => {
    await page.locator('#role').selectOption('Translator');
    await page.getByText('New chat with Translator.').waitFor();
    expect(await ask(page, 'Bonjour', 1)).toBe('[You are a translator] You said: Bonjour');
    expect(lastChat().messages[0].content).toMatch(/^You are a translator\. Translate what the user writes into English/);
    expect(userTurns(lastChat())).toEqual(['Bonjour']);
    await page.locator('#role').selectOption('Code reviewer');
    await page.getByText('New chat with Code reviewer.').waitFor();
    platform.llm.reply(() => 'Looks fine, but:\n\n```ts\nconst total = items.length; // not 0\n```\n\n- **rename** `x`');
    await ask(page, 'function f(x) { return 0 }', 1);
    expect(lastChat().messages[0].content).toMatch(/^You are an experienced code reviewer/);
    await page.locator('.bubble.answer pre code .tok-kw', { hasText: 'const' }).waitFor();
    await page.locator('.bubble.answer li strong', { hasText: 'rename' }).waitFor();
    await shot(page, 'web-chat');
    platform.llm.reply((body) => `[${body.messages[0].content.split(/[.,]/)[0]}] You said: ${userTurns(body).at(-1)}`);
  });
});

describe('streaming and images', () => {
  test('an answer streams in over several server-sent events, rendered as Markdown as it grows; images; a failed run ends the wait', async () => {
    const context = await visitor();
    try {
      const page = await openChat(context, urls['web-stream']);
      // Every text the answer bubble shows, as it changes.
      await page.evaluate(`(() => {
        const seen = (window.seen = []);
        new MutationObserver(() => {
          const text = document.querySelector('.bubble.answer:not(.pending)')?.textContent ?? '';
          if (text && text !== seen.at(-1)) seen.push(text);
        }).observe(document.getElementById('messages'), { childList: true, subtree: true, characterData: true });
      })()`);
      await ask(page, 'go', 1);
      const seen = await page.evaluate<string[]>('window.seen');
      expect(seen.length).toBeGreaterThanOrEqual(3);
      expect(seen[0]).toBe('Streamed answer to: ');
      seen.slice(1).forEach((text, i) => expect(text.startsWith(seen[i])).toBe(true));
      expect(seen.at(-1)).toBe('Streamed answer to: goconst n = 42; // done');
      await page.locator('.bubble.answer strong', { hasText: 'Streamed' }).waitFor();
      await page.locator('.bubble.answer .tok-com', { hasText: '// done' }).waitFor();
      await page.locator('#message').fill('image');
      await page.locator('#message').press('Enter');
      const image = page.locator('.bubble.image img[alt="a pixel"]');
      await image.waitFor();
      // Functions, not strings, run in the page: its CSP forbids eval.
      await waitFor('the image to load', async () => (await image.evaluate((img) => (img as { naturalWidth: number }).naturalWidth)) === 1);
      // A run that fails for good ends the wait with a note instead of an endless typing indicator.
      await page.locator('#message').fill('fail');
      await page.locator('#message').press('Enter');
      await page.getByText('The assistant could not answer.').waitFor({ timeout: 20_000 });
      expect(await page.locator('.bubble.pending').count()).toBe(0);
    } finally {
      await context.close();
    }
  });
});

describe('the password gate', () => {
  test('a wrong password is refused, the right one opens the chat', async () => {
    const context = await visitor();
    try {
      const page = await context.newPage();
      await page.goto(urls['locked-assistant']);
      await page.locator('h1', { hasText: 'Team chat' }).waitFor();
      expect(await page.locator('#message').count()).toBe(0);
      await page.locator('#password').fill('open sesame');
      await page.getByRole('button', { name: 'Open the chat' }).click();
      await page.locator('#password-error', { hasText: 'Wrong password.' }).waitFor();
      await shot(page, 'web-chat-password');
      await page.locator('#password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Open the chat' }).click();
      await page.waitForSelector('body[data-ready="true"]');
      expect(await ask(page, 'Am I in?', 1)).toBe('[You are a helpful assistant] You said: Am I in?');
    } finally {
      await context.close();
    }
  });

  test('a locked session gets nothing; wrong passwords are rate-limited per address and chat', async () => {
    const context = await visitor();
    try {
      const key = new URL(urls['locked-assistant']).pathname;
      const headers = { 'x-openflows-chat': '1' };
      const origin = urls['locked-assistant'].replace(/\/chat\/.*/, '');
      expect((await context.request.get(`${origin}${key}/state`)).status()).toBe(200);
      const send = await context.request.post(`${origin}${key}/messages`, { headers, data: { text: 'let me in' } });
      expect([send.status(), (await send.json()).code]).toEqual([401, 'WEB_CHAT_LOCKED']);
      expect((await context.request.get(`${origin}${key}/events`)).status()).toBe(401);
      const statuses: number[] = [];
      // The first test's wrong try was forgotten when the right password came.
      for (let i = 0; i < 6; i++) {
        statuses.push((await context.request.post(`${origin}${key}/password`, { headers, data: { password: `guess ${i}` } })).status());
      }
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
      const blocked = await context.request.post(`${origin}${key}/password`, { headers, data: { password: PASSWORD } });
      expect([blocked.status(), (await blocked.json()).code]).toEqual([429, 'RATE_LIMITED']);
      // Without the chat's header a POST is refused (a cross-site form cannot set it).
      expect((await context.request.post(`${origin}${key}/password`, { data: { password: PASSWORD } })).status()).toBe(403);
    } finally {
      await context.close();
    }
  });
});

describe('voice input', () => {
  test("the page records the microphone (espeak-ng's WAV as Chromium's fake capture), shows the transcription and sends it", async () => {
    const voiceBrowser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        ...CHROMIUM_ARGS,
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-audio-capture=${wav}`,
      ],
    });
    try {
      const context = await voiceBrowser.newContext({ viewport: { width: 1024, height: 760 }, permissions: ['microphone'] });
      const page = await openChat(context, urls['web-assistant']);
      await page.locator('.mic').click();
      await page.locator('.mic.recording').waitFor();
      await page.waitForTimeout(1500);
      await page.locator('.mic').click();
      await page.locator('.bubble.visitor', { hasText: SPOKEN }).waitFor({ timeout: 20_000 });
      const upload = platform.llm.requests.filter((r) => r.path === '/v1/audio/transcriptions').at(-1)!.upload!;
      expect(upload.fields.model).toBe('whisper-1');
      expect(upload.file!.name).toBe('voice.webm');
      expect(upload.file!.bytes.readUInt32BE(0)).toBe(0x1a45dfa3);
      expect(upload.file!.bytes.length).toBeGreaterThan(1000);
      await page.locator('.bubble.answer', { hasText: `You said: ${SPOKEN}` }).waitFor({ timeout: 20_000 });
      expect(userTurns(lastChat()).at(-1)).toBe(SPOKEN);
    } finally {
      await voiceBrowser.close();
    }
  });

  test('the upload endpoint the page uses takes the WAV as it is and answers its transcription', async () => {
    const context = await visitor();
    try {
      const page = await openChat(context, urls['web-assistant']);
      const bytes = readFileSync(wav);
      const res = await context.request.post(`${urls['web-assistant']}/transcriptions`, {
        headers: { 'x-openflows-chat': '1', 'content-type': 'audio/wav' },
        data: bytes,
      });
      expect([res.status(), await res.json()]).toEqual([200, { text: SPOKEN }]);
      const upload = platform.llm.requests.filter((r) => r.path === '/v1/audio/transcriptions').at(-1)!.upload!;
      expect(upload.file!.name).toBe('voice.wav');
      expect(upload.file!.bytes.equals(bytes)).toBe(true);
      const text = await context.request.post(`${urls['web-assistant']}/transcriptions`, {
        headers: { 'x-openflows-chat': '1', 'content-type': 'text/plain' },
        data: 'not audio',
      });
      expect(text.status()).toBe(415);
      await page.close();
    } finally {
      await context.close();
    }
  });
});

describe('on a phone', () => {
  test('the page fits a 390 px wide screen: no sideways scrolling, the composer on screen', async () => {
    const context = await visitor({ phone: true });
    try {
      const page = await openChat(context, urls['web-assistant']);
      await page.locator('#role').selectOption('Code reviewer');
      await page.getByText('New chat with Code reviewer.').waitFor();
      platform.llm.reply(
        () => 'Two things:\n\n1. `let` never changes: use `const`\n2. Name it **total**\n\n```js\nconst total = sum(items);\n```',
      );
      await ask(page, 'let t = sum(items)', 1);
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      const composer = await page.locator('.composer').boundingBox();
      expect(composer!.y + composer!.height).toBeLessThanOrEqual(844);
      expect(composer!.width).toBeLessThanOrEqual(390);
      await shot(page, 'web-chat-phone');
    } finally {
      await context.close();
    }
  });
});

describe('rotating the key', () => {
  test('POST .../web-chats/:chat/rotate gives a new URL; the old one answers 404', async () => {
    const old = urls['web-stream'];
    const res = await platform.request('POST', '/api/flows/web-stream/web-chats/stream/rotate');
    expect(res.status).toBe(200);
    expect(res.body.url).not.toBe(old);
    expect((await fetch(old)).status).toBe(404);
    expect((await fetch(`${old}/state`)).status).toBe(404);
    expect((await fetch(`${res.body.url}/state`)).status).toBe(200);
    expect((await platform.request('GET', '/api/flows/web-stream')).body.webChats[0].url).toBe(res.body.url);
    expect((await platform.request('POST', '/api/flows/web-stream/web-chats/nope/rotate')).status).toBe(404);
  });
});

describe('shutdown', () => {
  test('the api stops at once on SIGTERM while visitors hold event streams open, ending them', async () => {
    const url = urls['web-assistant'];
    const state = await fetch(`${url}/state`);
    const cookie = state.headers
      .getSetCookie()
      .map((line) => line.split(';')[0])
      .join('; ');
    const events = await fetch(`${url}/events`, { headers: { cookie } });
    const reader = events.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain(': connected');
    const stoppedAt = Date.now();
    await platform.api.stop();
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
    // The stream ends (a page's EventSource would reconnect, to another api process when there is one).
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read());
  });
});
