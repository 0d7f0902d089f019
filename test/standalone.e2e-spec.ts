/**
 * The newcomer's path: one standalone process on embedded PGlite (no DATABASE_URL) and the machine's
 * Redis answers a GitHub issue end to end, and keeps its data across a restart.
 */
import { join } from 'node:path';
import { examplePayload, withInstallation, withRepo } from '@openflows/test-support/github-webhooks';
import { INSTALLATION_ID, Platform } from '@openflows/test-support/platform';
import { waitFor } from '@openflows/test-support/processes';
import { EventStream } from '@openflows/test-support/sse';
import { visibleBody } from '@openflows/test-support/github-stand-in';

jest.setTimeout(60_000);

let platform: Platform;

beforeAll(async () => {
  platform = await Platform.start({ mode: 'standalone', repositories: ['octo-org/hello'] });
  await platform.installApp();
});

afterAll(async () => {
  await platform?.stop();
});

test('a pipe gets the banner and JSON log lines, without the route-mapping lines at LOG_LEVEL=info', () => {
  const output = platform.api.output();
  expect(output).toMatch(/^OpenFlows listening on http:\/\/127\.0\.0\.1:\d+$/m);
  // The banner shows PUBLIC_URL, which defaults to localhost on the listening port.
  expect(output).toContain(`  dashboard  http://localhost:${new URL(platform.url).port}/\n`);
  expect(output).toContain('  configured GitHub App, Slack\n');
  const logLines = output.split('\n').filter((line) => line && !line.startsWith('  ') && !line.startsWith('OpenFlows listening'));
  expect(logLines.length).toBeGreaterThan(0);
  for (const line of logLines) expect(JSON.parse(line)).toEqual(expect.objectContaining({ level: expect.any(Number) }));
  expect(JSON.parse(logLines[0]).level).toBeGreaterThanOrEqual(30);
  expect(platform.api.output()).not.toContain('Mapped {');
});

test('an opened issue is answered by the standalone process on PGlite, and the flow survives a restart', async () => {
  await platform.putLlmKey('openai');
  const deployed = await platform.deploy(join(__dirname, '../flows/github-chat'), {
    owner: 'octo-org',
    repo: 'hello',
    openai_key_name: 'openai',
  });
  expect(deployed).toMatchObject({ name: 'github-chat', status: 'running', version: 1 });

  const payload = withInstallation(withRepo(examplePayload('issues', 'opened'), 'octo-org', 'hello'), INSTALLATION_ID);
  Object.assign(payload.issue, { number: 7, title: 'PGlite', body: 'works?' });
  expect((await platform.deliver('issues', payload)).status).toBe(202);
  await waitFor('the reply', () => platform.github.comments.length === 1);
  expect(platform.github.comments[0]).toMatchObject({ issue_number: 7 });
  expect(visibleBody(platform.github.comments[0].body)).toBe('echo: PGlite\nworks?');

  await platform.restart();
  const flows = await platform.request('GET', '/api/flows');
  expect(flows.body).toEqual([expect.objectContaining({ name: 'github-chat', status: 'running', version: 1 })]);
  expect(await platform.runs('github-chat')).toEqual([expect.objectContaining({ status: 'succeeded' })]);
});

test('live run updates reach a server-sent event stream within the one process', async () => {
  const stream = await EventStream.open(`${platform.url}/api/runs/stream?flow=github-chat`);
  if (!(stream instanceof EventStream)) throw new Error(`stream refused: ${stream.status}`);
  try {
    const payload = withInstallation(withRepo(examplePayload('issues', 'opened'), 'octo-org', 'hello'), INSTALLATION_ID);
    Object.assign(payload.issue, { number: 8, title: 'Live', body: 'in one process' });
    const delivered = await platform.deliver('issues', payload);
    const runs = () => stream.data('run').filter((r) => r.eventId === delivered.body.eventId);
    await stream.until('the succeeded run', () => runs().some((r) => r.status === 'succeeded'));
    expect(runs().map((r) => r.status)).toEqual(['queued', 'running', 'succeeded']);
  } finally {
    await stream.close();
  }
});
