import { chatCompletion, env, github, listenToEvent, log, type FlowEvent } from '@openflows/sdk';

const SYSTEM_PROMPT =
  "You are an experienced software engineer reviewing a pull request. You get one file's unified diff (or a part of it). " +
  'Point out bugs, risky changes and unclear code in short bullet points, quoting the lines you mean. ' +
  'If nothing needs attention, answer exactly "No remarks."';
const NO_REMARKS = /^no remarks\.?$/i;
/** Files the review skips: generated or vendored content says nothing about the change. */
const SKIPPED = /(^|\/)(package-lock\.json|yarn\.lock|pnpm-lock\.yaml|.*\.min\.(js|css)|.*\.map)$/;

interface PullRequest {
  number: number;
  title: string;
  body: string | null;
  draft?: boolean;
  user: { login: string; type: string };
  head: { sha: string };
}

/** A file of the pull request as GitHub lists it (`pulls.listFiles`); `patch` is absent for binary or huge files. */
interface PullFile {
  filename: string;
  status: string;
  patch?: string;
}

/** One piece of a file's diff: whole hunks, at most `chunk_chars` long (a longer hunk is cut). */
interface Chunk {
  text: string;
  /** A new-file line the chunk shows, where its review comment is anchored. */
  line?: number;
}

export async function run(): Promise<void> {
  await listenToEvent(github.repo(env('owner'), env('repo')), ['pull_request'], handler);
}

async function handler(event: FlowEvent): Promise<void> {
  if (event.action !== 'opened' && event.action !== 'synchronize') return;
  const pr = event.payload.pull_request as PullRequest;
  if (pr.draft || pr.user.type === 'Bot') return;
  const files = (await github.paginate(github.pulls.listFiles, {
    ...github.context.repo,
    pull_number: pr.number,
    per_page: 100,
  })) as unknown as PullFile[];
  const comments: { path: string; line: number; side: 'RIGHT'; body: string }[] = [];
  // Remarks on pieces that show no new-file line (pure deletions) cannot anchor a comment: they go in the body.
  const unanchored: string[] = [];
  for (const file of files.filter((f) => f.patch && !SKIPPED.test(f.filename))) {
    const chunks = chunksOf(file.patch as string, Number(env('chunk_chars', '12000')));
    for (const [i, chunk] of chunks.entries()) {
      const remarks = await review(pr, file, chunk, i, chunks.length);
      if (!remarks) continue;
      if (chunk.line) comments.push({ path: file.filename, line: chunk.line, side: 'RIGHT', body: remarks });
      else unanchored.push(`**${file.filename}**\n${remarks}`);
    }
  }
  const remarked = new Set([...comments.map((c) => c.path), ...unanchored.map((u) => u.split('\n')[0])]).size;
  const counted = `Reviewed ${files.length} ${files.length === 1 ? 'file' : 'files'}`;
  const body = [remarked === 0 ? `${counted}: no remarks.` : `${counted}; remarks on ${remarked}.`, ...unanchored].join('\n\n');
  await github.pulls.createReview({
    ...github.context.repo,
    pull_number: pr.number,
    commit_id: pr.head.sha,
    event: 'COMMENT',
    body,
    comments,
  });
  log.info(`reviewed #${pr.number} at ${pr.head.sha}: ${comments.length} comments`);
}

/** The model's remarks on one chunk, or undefined when it has none. */
async function review(pr: PullRequest, file: PullFile, chunk: Chunk, index: number, count: number): Promise<string | undefined> {
  const part = count > 1 ? ` (part ${index + 1} of ${count})` : '';
  const prompt = `Pull request: ${pr.title}\n${pr.body ?? ''}\n\nFile ${file.filename} (${file.status})${part}:\n\`\`\`diff\n${chunk.text}\n\`\`\``;
  const model = env('model', '');
  const { choice } = await chatCompletion(env('openai_key_name'), `pr#${pr.number}:${file.filename}:${index}`, prompt, {
    systemPrompt: SYSTEM_PROMPT,
    restart: true,
    ...(model ? { model } : {}),
  });
  return NO_REMARKS.test(choice.trim()) ? undefined : choice.trim();
}

/**
 * Splits a unified diff into pieces of whole hunks of at most `limit` characters, so each request
 * fits the model's context window with room for the answer; a hunk longer than `limit` is cut.
 */
export function chunksOf(patch: string, limit: number): Chunk[] {
  const hunks = patch.split(/\n(?=@@ )/);
  const chunks: Chunk[] = [];
  let current: Chunk | undefined;
  for (const hunk of hunks) {
    for (let start = 0; start < hunk.length; start += limit) {
      const piece = hunk.slice(start, start + limit);
      if (current && current.text.length + piece.length + 1 <= limit) current.text += `\n${piece}`;
      else chunks.push((current = { text: piece, line: start === 0 ? firstLine(hunk) : undefined }));
    }
  }
  return chunks;
}

/** The first new-file line a hunk shows (`@@ -a,b +c,d @@` → c); none for a hunk that only deletes (`+c,0`). */
function firstLine(hunk: string): number | undefined {
  const match = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/.exec(hunk);
  return match && match[2] !== '0' ? Math.max(Number(match[1]), 1) : undefined;
}
