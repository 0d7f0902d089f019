/**
 * Helpers of the isolation specs: hostile flows are CommonJS bundles (test/fixtures/hostile/*.js, or
 * code built in the test) deployed as is through `POST /api/flows`; each listens to issue comments on
 * its own repository of {@link OWNER}, and is driven by comments whose body names what to do.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runsPartitionFor } from '@openflows/common';
import { examplePayload, withInstallation, withRepo } from './github-webhooks';
import { INSTALLATION_ID, type Platform } from './platform';
import { waitFor } from './processes';

export const OWNER = 'octo-org';
const FIXTURES = join(__dirname, '..', 'fixtures', 'hostile');

/** The bundle of a fixture in test/fixtures/hostile. */
export const hostileBundle = (file: string): string => readFileSync(join(FIXTURES, file), 'utf8');

/** Deploys `code` as flow `name` on repository `repo`; @returns the flow's view (with `id`). */
export async function deployCode(platform: Platform, name: string, code: string, repo: string, env: Record<string, string> = {}) {
  const res = await platform.request('POST', '/api/flows', { name, code, env: { owner: OWNER, repo, ...env } });
  if (res.status !== 201) throw new Error(`deploy of ${name} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; name: string; status: string };
}

/** A signed `issue_comment.created` (GitHub's example) on `repo` issue `number` saying `body`. */
export function commentPayload(repo: string, number: number, body: string) {
  const payload = withInstallation(withRepo(examplePayload('issue_comment', 'created'), OWNER, repo), INSTALLATION_ID);
  payload.issue.number = number;
  Object.assign(payload.comment, { id: Math.floor(Math.random() * 1e9), body });
  Object.assign(payload.comment.user, { login: 'mallory', type: 'User' });
  return payload;
}

/** Delivers a comment; @returns the event id and when it was accepted. */
export async function comment(platform: Platform, repo: string, number: number, body: string) {
  const res = await platform.deliver('issue_comment', commentPayload(repo, number, body));
  if (res.status !== 202) throw new Error(`delivery failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { eventId: res.body.eventId as string, at: Date.now() };
}

/** Comments the stand-in received on `repo` issue `number`. */
export const commentsOn = (platform: Platform, repo: string, number: number) =>
  platform.github.comments.filter((c) => c.repo === repo && c.issue_number === number);

/** The run of `eventId` for `flow` once it is `succeeded` or `failed`, with its log lines. */
export async function finishedRun(platform: Platform, flow: string, eventId: string, timeoutMs = 20_000) {
  const run = await waitFor(
    `the run of ${flow} for event ${eventId} to finish`,
    async () => {
      const found = (await platform.runs(flow)).find((r) => r.eventId === eventId);
      return found && (found.status === 'succeeded' || found.status === 'failed') ? found : undefined;
    },
    timeoutMs,
  );
  const detail = await platform.request('GET', `/api/runs/${run.id}`);
  const lines: string[] = detail.body.logs.map((l: { level: string; message: string }) => `${l.level} ${l.message}`);
  return { ...run, lines } as { id: string; status: string; attempts: number; error: string; durationMs: number; lines: string[] };
}

/** An issue number whose conversation of `flowId` lands in another run partition than `avoid`'s. */
export function issueOutsidePartitionOf(flowId: string, repo: string, from: number, avoid: number, partitions: number): number {
  for (let n = from; ; n++) if (runsPartitionFor(flowId, `${OWNER}/${repo}#${n}`, partitions) !== avoid) return n;
}

export { runsPartitionFor };
