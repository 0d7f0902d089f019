/**
 * The web chat page (`/chat/<key>`): plain DOM, no framework. The password gate when the chat has one,
 * then the conversation: messages sent with POST, answers heard on one EventSource and rendered as
 * Markdown while they stream, "New chat" and the role picker starting a new conversation, and voice
 * input recorded with MediaRecorder and transcribed by the platform before it is sent.
 */
import { ChatError, base, chatApi, uuid, type ChatState, type ConversationUpdate, type TranscriptEntry } from './api';
import { renderMarkdown } from './markdown';

/** Without any answer this long after a message (ms), the page says so. */
const ANSWER_TIMEOUT_MS = 90_000;

const root = document.getElementById('chat')!;

/** A new element with `props` (DOM properties: `className`, `type`, …) and children. */
function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Record<string, string | number | boolean> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node: HTMLElementTagNameMap[K] = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children);
  return node;
}

/** A microphone drawn as SVG (emoji fonts are missing on many systems). */
function microphoneIcon(): SVGSVGElement {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '20');
  svg.setAttribute('height', '20');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute(
    'd',
    'M12 14a3 3 0 0 0 3-3V5a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3Zm5-3a5 5 0 0 1-10 0H5a7 7 0 0 0 6 6.92V21h2v-3.08A7 7 0 0 0 19 11h-2Z',
  );
  path.setAttribute('fill', 'currentColor');
  svg.append(path);
  return svg;
}

let state: ChatState;
let events: EventSource | undefined;
const sentIds = new Set<string>();
const answers = new Map<string, { bubble: HTMLElement; text: string }>();
/** The typing indicator shown for the page's message `id` until its answer (or its run's end) comes. */
let waiting: { id: string; indicator: HTMLElement; timer: number } | undefined;

const log = element('main', { className: 'messages', id: 'messages' });
log.setAttribute('aria-live', 'polite');
const input = element('textarea', { id: 'message', rows: 1, placeholder: 'Message', maxLength: 8000 });
input.setAttribute('aria-label', 'Message');
const sendButton = element('button', { type: 'submit', className: 'send', title: 'Send', disabled: true }, 'Send');
const micButton = element('button', { type: 'button', className: 'mic', title: 'Record a voice message' }, microphoneIcon());
micButton.setAttribute('aria-label', 'Record a voice message');
const status = element('p', { className: 'status', id: 'status' });
status.setAttribute('role', 'status');

function scrollDown(): void {
  log.scrollTop = log.scrollHeight;
}

function bubble(kind: 'visitor' | 'answer' | 'note', content?: Node | string): HTMLElement {
  const node = element('div', { className: `bubble ${kind}` });
  if (content !== undefined) node.append(content);
  log.append(node);
  scrollDown();
  return node;
}

function showWaiting(id: string): void {
  stopWaiting();
  const indicator = bubble('answer', element('span', { className: 'typing' }, element('i'), element('i'), element('i')));
  indicator.classList.add('pending');
  indicator.setAttribute('aria-label', 'The assistant is answering');
  const timer = window.setTimeout(() => {
    stopWaiting();
    bubble('note', 'No answer came. Try again, or start a new chat.');
  }, ANSWER_TIMEOUT_MS);
  waiting = { id, indicator, timer };
}

function stopWaiting(): void {
  if (!waiting) return;
  window.clearTimeout(waiting.timer);
  waiting.indicator.remove();
  waiting = undefined;
}

function answerBubble(reply: string): { bubble: HTMLElement; text: string } {
  let answer = answers.get(reply);
  if (!answer) {
    stopWaiting();
    answer = { bubble: bubble('answer'), text: '' };
    answer.bubble.dataset.reply = reply;
    answers.set(reply, answer);
  }
  return answer;
}

function renderAnswer(answer: { bubble: HTMLElement; text: string }): void {
  answer.bubble.replaceChildren(renderMarkdown(answer.text));
  scrollDown();
}

function imageBubble(url: string, alt?: string): void {
  stopWaiting();
  const image = element('img', { src: url, alt: alt ?? 'An image answer', loading: 'lazy', referrerPolicy: 'no-referrer' });
  image.addEventListener('load', scrollDown);
  bubble('answer', image).classList.add('image');
}

function showEntry(entry: TranscriptEntry): void {
  if (entry.kind === 'visitor') bubble('visitor', entry.text);
  else if (entry.kind === 'image') imageBubble(entry.url, entry.alt);
  else {
    const answer = answerBubble(entry.id);
    answer.text = entry.text;
    renderAnswer(answer);
  }
}

function onUpdate(update: ConversationUpdate): void {
  switch (update.type) {
    case 'message':
      // Our own messages are shown when sent; another tab's appear here.
      if (![...sentIds].some((id) => update.id.endsWith(id))) bubble('visitor', update.text);
      break;
    case 'delta': {
      const answer = answerBubble(update.reply);
      if (update.start) answer.text = '';
      answer.text += update.text;
      answer.bubble.classList.add('streaming');
      renderAnswer(answer);
      break;
    }
    case 'done': {
      const answer = answerBubble(update.reply);
      answer.bubble.classList.remove('streaming');
      if (update.failed) answer.bubble.classList.add('failed');
      break;
    }
    case 'image':
      imageBubble(update.url, update.alt);
      break;
    case 'end':
      // A flow may answer nothing; a failed one is said so rather than waited for.
      if (!waiting || !update.message.endsWith(waiting.id)) break;
      stopWaiting();
      if (update.failed) bubble('note', 'The assistant could not answer. Try again, or start a new chat.');
      break;
  }
}

/** Listens to the current conversation; sending waits until the stream is open so no answer is missed. */
function listen(): void {
  events?.close();
  sendButton.disabled = true;
  events = new EventSource(`${base}/events`);
  events.addEventListener('ready', () => {
    sendButton.disabled = false;
    document.body.dataset.ready = 'true';
  });
  events.addEventListener('update', (event) => onUpdate(JSON.parse((event as MessageEvent<string>).data) as ConversationUpdate));
}

async function send(text: string): Promise<void> {
  const trimmed = text.trim();
  if (!trimmed) return;
  const id = uuid();
  sentIds.add(id);
  bubble('visitor', trimmed);
  input.value = '';
  showWaiting(id);
  try {
    await chatApi.send(trimmed, id);
  } catch (error) {
    stopWaiting();
    bubble('note', `Not sent: ${(error as Error).message}`);
  }
}

async function newChat(role?: string): Promise<void> {
  const { conversationId } = await chatApi.restart(role);
  state.conversationId = conversationId;
  answers.clear();
  stopWaiting();
  log.replaceChildren();
  bubble('note', role ? `New chat with ${role}.` : 'New chat.');
  listen();
}

/** Records while the button is held on (a second press stops), then transcribes and sends the text. */
function voiceInput(): void {
  if (!state.voice || typeof MediaRecorder === 'undefined' || !navigator.mediaDevices?.getUserMedia) {
    micButton.hidden = true;
    return;
  }
  let recorder: MediaRecorder | undefined;
  micButton.addEventListener('click', () => {
    if (recorder) {
      recorder.stop();
      return;
    }
    void (async () => {
      try {
        const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
        const chunks: Blob[] = [];
        recorder = new MediaRecorder(stream);
        recorder.addEventListener('dataavailable', (event) => chunks.push(event.data));
        recorder.addEventListener('stop', () => {
          stream.getTracks().forEach((track) => track.stop());
          const audio = new Blob(chunks, { type: recorder?.mimeType || 'audio/webm' });
          recorder = undefined;
          micButton.classList.remove('recording');
          void transcribeAndSend(audio);
        });
        recorder.start();
        micButton.classList.add('recording');
        status.textContent = 'Recording… press the microphone again to send.';
      } catch (error) {
        status.textContent = `The microphone is not available: ${(error as Error).message}`;
      }
    })();
  });
}

async function transcribeAndSend(audio: Blob): Promise<void> {
  status.textContent = 'Transcribing…';
  try {
    const { text } = await chatApi.transcribe(audio);
    status.textContent = text ? '' : 'Nothing was heard.';
    input.value = text;
    if (text) await send(text);
  } catch (error) {
    status.textContent = `The voice message could not be transcribed: ${(error as Error).message}`;
  }
}

function header(): HTMLElement {
  const bar = element('header', { className: 'bar' }, element('h1', { id: 'title' }, state.title));
  if (!state.locked) {
    const tools = element('div', { className: 'tools' });
    if (state.roles.length > 0) {
      const picker = element('select', { id: 'role', title: 'Role' });
      picker.setAttribute('aria-label', 'Role');
      for (const role of state.roles) picker.append(element('option', { value: role, selected: role === state.role }, role));
      picker.addEventListener('change', () => void newChat(picker.value));
      tools.append(picker);
    }
    const fresh = element('button', { type: 'button', className: 'new', id: 'new-chat' }, 'New chat');
    fresh.addEventListener('click', () => void newChat());
    tools.append(fresh);
    bar.append(tools);
  }
  return bar;
}

function gate(): HTMLElement {
  const password = element('input', { type: 'password', id: 'password', autocomplete: 'current-password', required: true });
  const error = element('p', { className: 'error', id: 'password-error' });
  error.setAttribute('role', 'alert');
  const form = element(
    'form',
    { className: 'gate' },
    element('label', { htmlFor: 'password' }, 'This chat needs a password'),
    password,
    element('button', { type: 'submit' }, 'Open the chat'),
    error,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    error.textContent = '';
    chatApi
      .unlock(password.value)
      .then(start)
      .catch((failure: unknown) => {
        const refused = failure instanceof ChatError ? failure : undefined;
        error.textContent =
          refused?.code === 'RATE_LIMITED'
            ? `Too many wrong passwords. Try again in ${String(refused.details.retryAfter ?? 'a few')} seconds.`
            : refused?.code === 'WEB_CHAT_PASSWORD_WRONG'
              ? 'Wrong password.'
              : (failure as Error).message;
        password.select();
      });
  });
  return form;
}

function composer(): HTMLElement {
  const form = element('form', { className: 'composer' }, micButton, input, sendButton);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!sendButton.disabled) void send(input.value);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  return form;
}

async function start(): Promise<void> {
  try {
    state = await chatApi.state();
  } catch (error) {
    root.replaceChildren(element('p', { className: 'closed' }, (error as Error).message));
    return;
  }
  document.title = state.title;
  if (state.locked) {
    root.replaceChildren(header(), gate());
    (document.getElementById('password') as HTMLInputElement).focus();
    return;
  }
  root.replaceChildren(header(), log, status, composer());
  log.replaceChildren();
  for (const entry of state.transcript) showEntry(entry);
  voiceInput();
  listen();
  input.focus();
}

void start();
