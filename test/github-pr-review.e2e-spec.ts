/**
 * flows/github-pr-review end to end: a signed `pull_request` delivery (GitHub's published example
 * payload) through the real api and worker; the flow lists the pull request's files, asks the OpenAI
 * stand-in about each file's diff, piece by piece within its chunk size, and posts one review whose
 * comments GitHub's stand-in resolves against the diff (a line outside it is refused with 422).
 */
import { join } from 'node:path';
import { examplePayload, withInstallation, withRepo } from '@openflows/test-support/github-webhooks';
import { INSTALLATION_ID, Platform } from '@openflows/test-support/platform';
import { waitFor } from '@openflows/test-support/processes';
import { chunksOf } from '../flows/github-pr-review/src/index';

const OWNER = 'octo-org';
const REPO = 'hello';
const ROOT = join(__dirname, '..');

jest.setTimeout(60_000);

let platform: Platform;

/** A hunk adding `count` lines at `start` of the new file. */
const addedHunk = (start: number, count: number, text: string) =>
  [`@@ -${start},0 +${start},${count} @@`, ...Array.from({ length: count }, (_, i) => `+${text} ${i}`)].join('\n');

function pullRequest(action: string, number: number, fields: Record<string, unknown> = {}) {
  const payload = withInstallation(withRepo(examplePayload('pull_request', action), OWNER, REPO), INSTALLATION_ID);
  Object.assign(payload.pull_request, { number, title: `Change ${number}`, body: 'Please review', draft: false, ...fields });
  payload.number = number;
  return payload;
}

beforeAll(async () => {
  platform = await Platform.start({ mode: 'separate', repositories: [`${OWNER}/${REPO}`] });
  await platform.installApp();
  await platform.putLlmKey('openai');
  // Remarks only on the code file: the stand-in model has nothing to say about the README.
  platform.llm.reply((body) => {
    const prompt = String(body.messages.at(-1)?.content ?? '');
    return prompt.includes('File README.md') ? 'No remarks.' : `- check ${/\+(\w+) 0/.exec(prompt)?.[1] ?? 'this'}`;
  });
  await platform.deploy(join(ROOT, 'flows/github-pr-review'), { owner: OWNER, repo: REPO, openai_key_name: 'openai', chunk_chars: '300' });
});

afterAll(async () => {
  if (process.env.E2E_SHOW_OUTPUT) process.stdout.write(platform?.output() ?? '');
  await platform?.stop();
});

test('an opened pull request gets one review: a comment per remarked piece, anchored on a line of its diff', async () => {
  const big = [addedHunk(10, 25, 'alpha'), addedHunk(200, 25, 'beta')].join('\n');
  platform.github.pulls.set(`${OWNER}/${REPO}#7`, [
    { filename: 'src/app.ts', status: 'modified', patch: big },
    { filename: 'README.md', status: 'modified', patch: addedHunk(1, 2, 'docs') },
    { filename: 'package-lock.json', status: 'modified', patch: addedHunk(1, 2, 'lock') },
    { filename: 'logo.png', status: 'added' },
  ]);
  const res = await platform.deliver(
    'pull_request',
    pullRequest('opened', 7, { head: { ...examplePayload('pull_request', 'opened').pull_request.head, sha: 'abc123' } }),
  );
  expect(res.status).toBe(202);

  const [review] = await waitFor('the review', () => platform.github.reviews.length > 0 && platform.github.reviews);
  expect(review).toMatchObject({ owner: OWNER, repo: REPO, pull_number: 7, commit_id: 'abc123', event: 'COMMENT' });
  expect(review.body).toBe('Reviewed 4 files; remarks on 1.');
  // 300 characters per piece: each 25-line hunk of src/app.ts (about 270) is its own piece, anchored on its first line.
  expect(review.comments).toEqual([
    { path: 'src/app.ts', line: 10, side: 'RIGHT', body: '- check alpha' },
    { path: 'src/app.ts', line: 200, side: 'RIGHT', body: '- check beta' },
  ]);
  const prompts = platform.llm.requests
    .filter((r) => r.path.endsWith('/chat/completions'))
    .map((r) => String(r.body.messages.at(-1)?.content));
  expect(prompts.filter((p) => p.includes('File src/app.ts'))).toHaveLength(2);
  expect(prompts.some((p) => p.includes('package-lock.json'))).toBe(false);
});

test('a draft, or an action other than opened and synchronize, is not reviewed', async () => {
  platform.github.pulls.set(`${OWNER}/${REPO}#8`, [{ filename: 'a.ts', patch: addedHunk(1, 1, 'x') }]);
  const before = platform.github.reviews.length;
  const draft = await platform.deliver('pull_request', pullRequest('opened', 8, { draft: true }));
  const closed = await platform.deliver('pull_request', pullRequest('closed', 8));
  expect([draft.status, closed.status]).toEqual([202, 202]);
  for (const delivery of [draft, closed]) {
    await waitFor('the run', async () =>
      (await platform.runs('github-pr-review')).find((r) => r.eventId === delivery.body.eventId && r.status === 'succeeded'),
    );
  }
  expect(platform.github.reviews.length).toBe(before);
});

describe('chunksOf', () => {
  test('keeps whole hunks together up to the limit, cuts a longer hunk, anchors only pieces that start a hunk', () => {
    const small = addedHunk(5, 2, 'a');
    expect(chunksOf(`${small}\n${small}`, 1000)).toEqual([{ text: `${small}\n${small}`, line: 5 }]);
    const long = addedHunk(30, 40, 'b');
    const pieces = chunksOf(long, 100);
    expect(pieces.length).toBe(Math.ceil(long.length / 100));
    expect(pieces.map((p) => p.line)).toEqual([30, ...pieces.slice(1).map(() => undefined)]);
    expect(pieces.map((p) => p.text).join('')).toBe(long);
  });

  test('a hunk that only deletes has no new-file line to anchor on', () => {
    expect(chunksOf('@@ -3,2 +2,0 @@\n-gone\n-gone too', 1000)).toEqual([{ text: '@@ -3,2 +2,0 @@\n-gone\n-gone too', line: undefined }]);
  });
});
