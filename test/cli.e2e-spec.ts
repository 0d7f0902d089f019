/**
 * The `openflows` CLI end to end: the built CLI (`dist/apps/cli/src/main.js`, run `npm run build`
 * first) is spawned as a process, as a user runs it.
 * - `dev` runs flows/github-chat locally against the OpenAI stand-in (and, with `--live`, the GitHub
 *   stand-in).
 * - `deploy`, `flows`, `undeploy`, `secrets`, `runs` and `run` talk to a real standalone platform
 *   process (embedded PGlite, a Redis prefix of this file's own) wired to both stand-ins.
 */
import { spawn } from 'node:child_process';
import { randomBytes, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateAppKeys, startGithubStandIn, type GithubStandIn } from '@openflows/test-support/github-stand-in';
import { examplePayload, withInstallation, withRepo } from '@openflows/test-support/github-webhooks';
import { startListenNotesStandIn } from '@openflows/test-support/listen-notes-stand-in';
import { startOpenAiStandIn, type OpenAiStandIn } from '@openflows/test-support/openai-stand-in';
import { INSTALLATION_ID as PLATFORM_INSTALLATION_ID, Platform } from '@openflows/test-support/platform';
import { freePort, waitFor } from '@openflows/test-support/processes';
import { visibleBody } from '@openflows/test-support/github-stand-in';

jest.setTimeout(60_000);

const ROOT = join(__dirname, '..');
const CLI = join(ROOT, 'dist', 'apps', 'cli', 'src', 'main.js');
const FLOW = join(ROOT, 'flows', 'github-chat');
const APP_ID = 515151;
const INSTALLATION_ID = 91;
const OWNER = 'octo-org';
const REPO = 'hello';
const FLOW_ENV = ['--env', `owner=${OWNER}`, '--env', `repo=${REPO}`, '--env', 'openai_key_name=llm'];
const ANSWER = 'Check the spelling of commit in README.md.';

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Every output of the CLI in this file, to prove a secret never appears in any of them. */
const outputs: string[] = [];

/**
 * Runs the built CLI with only PATH and `env` as its environment (nothing of the developer's, such as
 * OPENAI_API_KEY, leaks in); `input` is piped to stdin. Asynchronous, so that the stand-ins in this
 * process can answer it.
 */
function cli(args: string[], env: Record<string, string> = {}, input = ''): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(input);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      outputs.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** A GitHub App JWT (RS256), as `@octokit/auth-app` makes them. */
function appJwt(privateKeyPem: string): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ iat: now - 30, exp: now + 300, iss: APP_ID })}`;
  return `${unsigned}.${sign('sha256', Buffer.from(unsigned), privateKeyPem).toString('base64url')}`;
}

const keys = generateAppKeys();
let llm: OpenAiStandIn;
let github: GithubStandIn;
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'openflows-cli-e2e-'));
  llm = await startOpenAiStandIn();
  llm.reply(() => ANSWER);
  github = await startGithubStandIn({ appId: APP_ID, publicKeyPem: keys.publicKeyPem, appSlug: 'openflows-cli-e2e' });
  github.installations.set(INSTALLATION_ID, { account: OWNER, repository_selection: 'selected', repositories: [`${OWNER}/${REPO}`] });
});

afterAll(async () => {
  await Promise.all([llm?.close(), github?.close()]);
  rmSync(tmp, { recursive: true, force: true });
});

/** The response body `openflows dev --request` printed: the line before its closing `done:` line. */
function printedBody(stdout: string): string {
  const lines = stdout.trimEnd().split('\n');
  return lines[lines.findIndex((line) => line.startsWith('done: ')) - 1];
}

describe('openflows dev', () => {
  const DEV_KEY = 'sk-dev-0123456789abcdef';
  const devEnv = () => ({ OPENAI_BASE_URL: llm.url, OPENFLOWS_SECRET_LLM: DEV_KEY });
  const payloadFile = (name: string, payload: unknown) => {
    const file = join(tmp, name);
    writeFileSync(file, JSON.stringify(payload));
    return file;
  };

  it('runs github-chat for issues.opened: the issue goes to the LLM, the answer to a printed comment request', async () => {
    const issue = examplePayload('issues', 'opened').issue;
    const before = llm.requests.length;

    const result = await cli(['dev', FLOW, '--event', 'issues.opened', ...FLOW_ENV], devEnv());

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const sent = llm.requests.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0].headers.authorization).toBe(`Bearer ${DEV_KEY}`);
    expect(sent[0].body.messages.at(-1)).toEqual({ role: 'user', content: `${issue.title}\n${issue.body}` });
    expect(result.stdout).toContain(`github: POST /repos/${OWNER}/${REPO}/issues/${issue.number}/comments (not sent)`);
    expect(result.stdout).toContain(JSON.stringify(ANSWER));
    expect(result.stdout).toMatch(/\[info\] answered issue #\d+ with comment \d+/);
    expect(result.stdout).toMatch(/done: handled by 1 handler/);
    expect(github.comments).toEqual([]);
  });

  it('does not answer a comment written by a Bot: no LLM request, no GitHub request', async () => {
    const payload = withRepo(examplePayload('issue_comment', 'created'), OWNER, REPO);
    payload.comment.user.type = 'Bot';
    const before = llm.requests.length;

    const result = await cli(
      ['dev', FLOW, '--event', 'issue_comment.created', '--payload', payloadFile('bot.json', payload), ...FLOW_ENV],
      devEnv(),
    );

    expect(result.code).toBe(0);
    expect(llm.requests.length).toBe(before);
    expect(result.stdout).not.toContain('github: POST');
    expect(result.stdout).toContain(`[debug] comment ${payload.comment.id} is the bot's own; not answering`);
    expect(result.stdout).toMatch(/done: handled by 1 handler/);
  });

  it('recognises the bot by --bot-login, and takes the repository from --repo', async () => {
    const payload = examplePayload('issue_comment', 'created');
    payload.comment.user = { ...payload.comment.user, login: 'my-app[bot]', type: 'User' };
    const before = llm.requests.length;

    const result = await cli(
      [
        'dev',
        FLOW,
        '--event',
        'issue_comment',
        '--payload',
        payloadFile('own.json', payload),
        '--repo',
        `${OWNER}/${REPO}`,
        '--bot-login',
        'my-app[bot]',
        ...FLOW_ENV,
      ],
      devEnv(),
    );

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`issue_comment.created on ${OWNER}/${REPO}`);
    expect(llm.requests.length).toBe(before);
    expect(result.stdout).toContain("is the bot's own");
  });

  it('explains why no handler matched: another repository, an event not subscribed', async () => {
    const before = llm.requests.length;

    const otherRepo = await cli(['dev', FLOW, '--event', 'issues.opened', '--repo', 'someone/else', ...FLOW_ENV], devEnv());
    const push = await cli(['dev', FLOW, '--event', 'push', ...FLOW_ENV], devEnv());

    expect(otherRepo.code).toBe(0);
    expect(otherRepo.stdout).toContain(
      `no handler matched: the event is for repository someone/else, but the flow listens to "issues" on ${OWNER}/${REPO}`,
    );
    expect(push.code).toBe(0);
    expect(push.stdout).toContain('no handler matched: the flow does not listen to "push" events (it listens to: issues, issue_comment)');
    expect(llm.requests.length).toBe(before);
  });

  it('refuses an event without an example payload, naming the known ones', async () => {
    const result = await cli(['dev', FLOW, '--event', 'no_such_event.opened', ...FLOW_ENV], devEnv());

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^error: no example payload for GitHub event "no_such_event"; pass --payload <file.json>, or use one of: .*issue_comment/,
    );
    expect(result.stdout).toBe('');
  });

  it('says which variable holds the LLM key when none is set', async () => {
    const result = await cli(['dev', FLOW, '--event', 'issues.opened', ...FLOW_ENV], { OPENAI_BASE_URL: llm.url });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'error: the flow failed: no local value for secret "llm": set OPENFLOWS_SECRET_LLM (or OPENAI_API_KEY)',
    );
  });

  it('sends the GitHub requests with --live, authenticated with GITHUB_TOKEN', async () => {
    const tokenResponse = await fetch(`${github.url}/app/installations/${INSTALLATION_ID}/access_tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${appJwt(keys.privateKeyPem)}`, accept: 'application/vnd.github+json' },
    });
    const { token } = (await tokenResponse.json()) as { token: string };
    const issue = examplePayload('issues', 'opened').issue;

    const result = await cli(['dev', FLOW, '--event', 'issues.opened', '--live', ...FLOW_ENV], {
      ...devEnv(),
      GITHUB_API_URL: github.url,
      GITHUB_TOKEN: token,
    });

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`github: POST /repos/${OWNER}/${REPO}/issues/${issue.number}/comments → 201`);
    expect(github.comments).toEqual([
      { owner: OWNER, repo: REPO, issue_number: issue.number, body: ANSWER, id: expect.any(Number), created_at: expect.any(String) },
    ]);
    expect(github.requests.at(-1)?.headers.authorization).toBe(`token ${token}`);
  });

  it('--request runs podcast-search once for a GET to its endpoint and prints the response, the key sent to Listen Notes only', async () => {
    const key = `ln-${randomBytes(8).toString('hex')}`;
    const listenNotes = await startListenNotesStandIn({ apiKey: key });
    try {
      const flow = join(ROOT, 'flows', 'podcast-search');
      const env = ['--env', 'podcast_key_name=listen', '--env', `listen_api_url=${listenNotes.url}/api/v2`];
      const local = { OPENFLOWS_SECRET_LISTEN: key, FLOW_EGRESS_ALLOW: `127.0.0.1:${listenNotes.port}` };

      const result = await cli(
        ['dev', flow, '--request', 'GET /search?q=AI&type=episode', '--header', 'Accept: application/json', ...env],
        local,
      );

      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(listenNotes.requests).toEqual([expect.objectContaining({ path: '/api/v2/search', query: { q: 'AI', type: 'episode' } })]);
      expect(listenNotes.requests[0].headers['x-listenapi-key']).toBe(key);
      expect(result.stdout).toContain('response: 200\n  content-type: application/json\n');
      const body = JSON.parse(printedBody(result.stdout));
      expect(body.results.map((r: { title: string }) => r.title)).toEqual(['AI agents that call APIs', 'Small models, big wins']);
      expect(result.stdout).toMatch(/done: handled by 1 handler/);
      expect(result.stdout).not.toContain(key);
    } finally {
      await listenNotes.close();
    }
  });

  it('--request sends --body as JSON to the endpoint-echo fixture; a malformed --request is a usage error', async () => {
    const flow = join(ROOT, 'test', 'fixtures', 'flows', 'endpoint-echo');
    const result = await cli(['dev', flow, '--request', 'POST /things?x=1', '--endpoint', 'echo', '--body', '{"n":2}']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('response: 200\n');
    expect(JSON.parse(printedBody(result.stdout))).toEqual({
      event: 'request',
      method: 'POST',
      path: '/things',
      query: { x: '1' },
      headers: { 'content-type': 'application/json' },
      body: '{"n":2}',
      json: { n: 2 },
    });
    const bad = await cli(['dev', flow, '--request', 'search for ai']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--request must be "<METHOD> /path?query"');
    const two = await cli(['dev', flow, '--tick', '--request', 'GET /']);
    expect(two.stderr).toContain('give exactly one of --event');
  });

  it('--tick runs one tick of the schedule picked with --schedule; several schedules without one is a usage error', async () => {
    const flow = join(ROOT, 'test', 'fixtures', 'flows', 'ticker');
    const result = await cli(['dev', flow, '--tick', '--schedule', 'every 5000', '--env', 'every_ms=5000']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/ticker ← tick on every 5000/);
    expect(result.stdout).toMatch(/\[info\] tick due \d{4}-\d\d-\d\dT[^,]+, fired /);
    expect(result.stdout).toMatch(/done: handled by 1 handler/);
    const ambiguous = await cli(['dev', flow, '--tick', '--env', 'every_ms=5000']);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toContain(
      'the flow has several schedules (every 5000, cron 0 9 * * 1-5 europe/paris); pick one with --schedule',
    );
  });
});

describe('openflows against a running platform', () => {
  const API_TOKEN = `api-token-${randomBytes(8).toString('hex')}`;
  const SECRET = `sk-secret-${randomBytes(12).toString('hex')}`;
  let platform: Platform;
  let url: string;
  const api = () => ({ OPENFLOWS_URL: url, OPENFLOWS_TOKEN: API_TOKEN });
  const get = (path: string) => platform.request('GET', path);

  beforeAll(async () => {
    platform = await Platform.start({
      mode: 'standalone',
      repositories: [`${OWNER}/${REPO}`],
      env: { API_TOKEN, LOG_LEVEL: 'warn', RUN_ATTEMPTS: '1' },
    });
    platform.llm.reply(() => ANSWER);
    url = platform.url;
    await platform.installApp();
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it('deploy fails before uploading when a required variable is missing', async () => {
    const result = await cli(['deploy', FLOW, '--env', `owner=${OWNER}`], api());

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: the flow needs these variables, which were not given:');
    expect(result.stderr).toContain('--env repo=…  (Name of the repository to serve)');
    expect(result.stderr).toContain('--env openai_key_name=…');
    expect(result.stderr).not.toContain('--env owner=');
    expect((await get('/api/flows')).body).toEqual([]);
  });

  it('deploy bundles and uploads the flow, printing its subscriptions', async () => {
    const result = await cli(['deploy', FLOW, ...FLOW_ENV], api());

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`deployed github-chat v1\nsubscriptions:\n  github ${OWNER}/${REPO}: issues, issue_comment\n`);
    const flows = (await get('/api/flows')).body;
    expect(flows).toEqual([
      expect.objectContaining({
        name: 'github-chat',
        status: 'running',
        version: 1,
        env: { owner: OWNER, repo: REPO, openai_key_name: 'llm' },
      }),
    ]);
  });

  it('flows list and flows show describe the deployed flow', async () => {
    const list = await cli(['flows', 'list'], api());
    const show = await cli(['flows', 'show', 'github-chat'], api());

    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^NAME\s+STATUS\s+VERSION\s+DEPLOYED\s+SUBSCRIPTIONS\n/);
    expect(list.stdout).toMatch(
      new RegExp(`github-chat\\s+running\\s+v1\\s+\\d{4}-\\d\\d-\\d\\d [\\d:]+Z\\s+github ${OWNER}/${REPO}: issues, issue_comment\\n`),
    );
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/status:\s+running/);
    expect(show.stdout).toContain(`  owner=${OWNER}\n`);
  });

  it('flows deployments lists the versions, the live one starred; the bundle carries a build log', async () => {
    const history = await cli(['flows', 'deployments', 'github-chat'], api());
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(/^VERSION\s+STATUS\s+SOURCE\s+CREATED\s+ERROR\n/);
    expect(history.stdout).toMatch(/v1 \*\s+active\s+bundle\s+\d{4}-/);
    const v1 = (await get('/api/flows/github-chat/deployments/1')).body;
    expect(v1).toMatchObject({ version: 1, live: true, source: { kind: 'bundle' } });
    expect(v1.buildLog).toMatch(/^bundle received from the CLI \(\d+ bytes\)\nrun\(\) declared: github/);
  });

  it('secrets set reads the value from stdin and never prints it; secrets list shows the last 4 only', async () => {
    const set = await cli(['secrets', 'set', 'llm', '--base-url', platform.llm.url, '--model', 'gpt-4o-mini'], api(), `${SECRET}\n`);
    const list = await cli(['secrets', 'list'], api());

    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    // The platform checked the key with its provider (GET /models) before answering.
    expect(set.stdout).toBe(`saved secret llm (value ending …${SECRET.slice(-4)})\nthe provider accepted the key\n`);
    expect(platform.llm.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: '/v1/models',
      headers: { authorization: `Bearer ${SECRET}` },
    });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(
      new RegExp(`^llm\\s+…${SECRET.slice(-4)}\\s+${platform.llm.url.replace(/[.]/g, '\\.')}\\s+gpt-4o-mini\\s`, 'm'),
    );
  });

  it('runs and run show a run of the flow with its log', async () => {
    const payload = withInstallation(withRepo(examplePayload('issues', 'opened'), OWNER, REPO), PLATFORM_INSTALLATION_ID);
    expect((await platform.deliver('issues', payload)).status).toBe(202);
    const run = await waitFor('a finished run', async () => {
      const runs = (await get('/api/flows/github-chat/runs')).body as { id: string; status: string }[];
      return runs.find((r) => r.status === 'succeeded' || r.status === 'failed');
    });

    // The value piped to `secrets set` is exactly the key the platform used.
    expect(platform.llm.requests.at(-1)?.headers.authorization).toBe(`Bearer ${SECRET}`);
    const runs = await cli(['runs', 'github-chat', '--limit', '5'], api());
    const shown = await cli(['run', run.id], api());

    expect(runs.code).toBe(0);
    expect(runs.stdout).toMatch(new RegExp(`^${run.id}\\s+succeeded\\s+1\\s+\\d+\\s+\\d`, 'm'));
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/status:\s+succeeded\n/);
    expect(shown.stdout).toMatch(/attempts:\s+1\n/);
    expect(shown.stdout).toMatch(/tokens:\s+\d+ prompt \+ \d+ completion\n/);
    expect(shown.stdout).toMatch(/event:\s+issues\.opened on octo-org\/hello/);
    expect(shown.stdout).toMatch(/\[1\] \S+ \S+ info\s+answered issue #\d+ with comment \d+/);
    expect(visibleBody(platform.github.comments.at(-1)?.body)).toBe(ANSWER);
  });

  it('secrets delete removes the secret; deleting it again is an error', async () => {
    const removed = await cli(['secrets', 'delete', 'llm'], api());
    const again = await cli(['secrets', 'delete', 'llm'], api());
    const list = await cli(['secrets', 'list'], api());

    expect(removed.code).toBe(0);
    expect(removed.stdout).toBe('deleted secret llm\n');
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('error: no secret named llm\n');
    expect(list.stdout).toContain('no secrets yet');
  });

  it('undeploy stops the flow; unknown flows are an error', async () => {
    const result = await cli(['undeploy', 'github-chat'], api());
    const unknown = await cli(['flows', 'show', 'no-such-flow'], api());

    expect(result.code).toBe(0);
    expect((await get('/api/flows/github-chat')).body.status).toBe('undeployed');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('error: no flow named no-such-flow\n');
  });

  it('a wrong OPENFLOWS_TOKEN is exit 1 with a clear error', async () => {
    const wrong = await cli(['flows', 'list'], { OPENFLOWS_URL: url, OPENFLOWS_TOKEN: 'not-the-token' });
    const missing = await cli(['secrets', 'list'], { OPENFLOWS_URL: url });

    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe("error: missing or wrong API token: set OPENFLOWS_TOKEN to the platform's API_TOKEN\n");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('missing or wrong API token');
  });

  it('never shows the secret value in any output, the platform log included', () => {
    expect(outputs.length).toBeGreaterThan(0);
    for (const output of [...outputs, platform.output()]) expect(output).not.toContain(SECRET);
  });
});

describe('openflows without a platform', () => {
  it('says the platform is not running at the URL and how to start it', async () => {
    const port = await freePort();

    const result = await cli(['flows', 'list'], { OPENFLOWS_URL: `http://127.0.0.1:${port}` });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: the OpenFlows platform is not running at http://127.0.0.1:${port} (connection refused)`);
    expect(result.stderr).toContain('`npm start`');
  });
});
