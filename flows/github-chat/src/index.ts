import { chatCompletion, env, github, listenToEvent, log, store, type FlowEvent } from '@openflows/sdk';

const DEFAULT_SYSTEM_PROMPT = 'You are a helpful assistant answering questions in a GitHub issue. Be concise and use Markdown.';
const EXPIRED_NOTE =
  'This conversation had been quiet for a while, so I no longer have its earlier context. Here is my answer to your last comment on its own:';
/** How long the ids of the bot's own comments are remembered (seconds). */
const OWN_COMMENT_TTL = 30 * 24 * 3600;

interface User {
  login: string;
  type: string;
}

interface Issue {
  number: number;
  title: string;
  body: string | null;
  user: User;
}

export async function run(): Promise<void> {
  await listenToEvent(github.repo(env('owner'), env('repo')), ['issues', 'issue_comment'], handler);
}

async function handler(event: FlowEvent): Promise<void> {
  if (event.name === 'issues' && event.action === 'opened') await onIssueOpened(event.payload.issue as Issue);
  if (event.name === 'issue_comment' && event.action === 'created') {
    await onCommentCreated(event.payload.issue as Issue, event.payload.comment as { id: number; body: string; user: User });
  }
}

async function onIssueOpened(issue: Issue): Promise<void> {
  if (isBot(issue.user)) return;
  const { choice } = await chatCompletion(env('openai_key_name'), conversationOf(issue), `${issue.title}\n${issue.body ?? ''}`, {
    systemPrompt: systemPrompt(),
    restart: true,
  });
  await reply(issue, choice);
}

async function onCommentCreated(issue: Issue, comment: { id: number; body: string; user: User }): Promise<void> {
  // The bot must never answer itself: check its identity and the comments it created, not only `type`.
  if (isBot(comment.user) || (await store.get(ownCommentKey(comment.id)))) {
    log.debug(`comment ${comment.id} is the bot's own; not answering`);
    return;
  }
  const { choice, restarted } = await chatCompletion(env('openai_key_name'), conversationOf(issue), comment.body, {
    systemPrompt: systemPrompt(),
  });
  await reply(issue, restarted ? `_${EXPIRED_NOTE}_\n\n${choice}` : choice);
}

function isBot(user: User): boolean {
  return user.type === 'Bot' || user.login === github.context.botLogin;
}

async function reply(issue: Issue, body: string): Promise<void> {
  const { data } = await github.issues.createComment({ ...github.context.repo, issue_number: issue.number, body });
  await store.set(ownCommentKey(data.id), true, { ttl: OWN_COMMENT_TTL });
  log.info(`answered issue #${issue.number} with comment ${data.id}`);
}

function conversationOf(issue: Issue): string {
  return `issue#${issue.number}`;
}

function ownCommentKey(commentId: number): string {
  return `own-comment:${commentId}`;
}

function systemPrompt(): string {
  return env('system_prompt', DEFAULT_SYSTEM_PROMPT);
}
