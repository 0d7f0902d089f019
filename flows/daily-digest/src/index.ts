import { chatCompletion, env, github, listenToEvent, log, schedule, slack, type FlowEvent, type ScheduleTick } from '@openflows/sdk';

const SYSTEM_PROMPT =
  'You write a short daily digest of new GitHub issues for a team channel in Slack. Group related issues, ' +
  'name each with its number, say in one line what it asks for, and end with what looks most urgent. Use Slack mrkdwn.';

/** The fields of a GitHub issue this flow reads (REST `GET /repos/{owner}/{repo}/issues`). */
interface Issue {
  number: number;
  title: string;
  body?: string | null;
  html_url: string;
  created_at: string;
  user?: { login: string } | null;
  labels?: (string | { name?: string })[];
  pull_request?: unknown;
}

export async function run(): Promise<void> {
  const every = env('every_ms', '');
  const source = every ? schedule.every(Number(every)) : schedule.cron(env('cron', '0 9 * * 1-5'), { timezone: env('timezone', 'UTC') });
  await listenToEvent(source, ['tick'], digest);
}

async function digest(event: FlowEvent<ScheduleTick>): Promise<void> {
  const { start, end } = yesterday(new Date(event.payload.scheduledAt), env('timezone', 'UTC'));
  const repo = `${env('owner')}/${env('repo')}`;
  // `since` filters on the last update: issues opened before yesterday and updated since come too, and are dropped here.
  const listed = (await github.paginate(github.issues.listForRepo, {
    owner: env('owner'),
    repo: env('repo'),
    state: 'all',
    since: start.toISOString(),
    per_page: 100,
  })) as unknown as Issue[];
  const issues = listed.filter((i) => !i.pull_request && new Date(i.created_at) >= start && new Date(i.created_at) < end);
  log.info(`${issues.length} new issue(s) in ${repo} between ${start.toISOString()} and ${end.toISOString()}`);
  if (issues.length === 0) {
    await slack.sendMessage(env('channel'), `No new issues in ${repo} yesterday.`);
    return;
  }
  const { choice } = await chatCompletion(env('openai_key_name'), `daily-digest ${repo} ${start.toISOString()}`, describe(issues), {
    systemPrompt: SYSTEM_PROMPT,
    restart: true,
  });
  await slack.sendMessage(env('channel'), `*${issues.length} new issue(s) in ${repo} yesterday*\n${choice}`);
}

/** The issues as the model reads them: number, title, author, labels, link and the body's start. */
function describe(issues: Issue[]): string {
  return issues
    .map((i) => {
      const labels = (i.labels ?? []).map((l) => (typeof l === 'string' ? l : l.name)).filter(Boolean);
      const body = (i.body ?? '').replace(/\s+/g, ' ').slice(0, 500);
      return `#${i.number} ${i.title} (by ${i.user?.login ?? 'unknown'}${labels.length ? `; ${labels.join(', ')}` : ''}) ${i.html_url}\n${body}`;
    })
    .join('\n\n');
}

/**
 * The day before `now`'s calendar day in `timeZone`, as instants [start, end): midnight to midnight
 * there (the offset is read at each midnight, so a daylight-saving change that day is counted right).
 */
export function yesterday(now: Date, timeZone: string): { start: Date; end: Date } {
  const today = dateIn(now, timeZone);
  const day = new Date(Date.UTC(today.year, today.month - 1, today.day - 1));
  const start = midnight(day, timeZone);
  return { start, end: midnight(new Date(day.getTime() + 86_400_000), timeZone) };
}

function dateIn(instant: Date, timeZone: string): { year: number; month: number; day: number } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric' }).formatToParts(instant);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { year: part('year'), month: part('month'), day: part('day') };
}

/** The instant of 00:00 in `timeZone` on the UTC calendar date of `day`. */
function midnight(day: Date, timeZone: string): Date {
  const guess = day.getTime();
  const offset = offsetMs(new Date(guess), timeZone);
  return new Date(guess - offsetMs(new Date(guess - offset), timeZone));
}

/** How far `timeZone`'s wall clock is ahead of UTC at `instant` (ms). */
function offsetMs(instant: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(instant);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
  return wall - Math.floor(instant.getTime() / 1000) * 1000;
}
