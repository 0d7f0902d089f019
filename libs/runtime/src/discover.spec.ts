import { discoverSubscriptions } from './discover';
import { FlowDeployError } from './errors';

/** A CommonJS flow bundle whose `run()` body is `body`, with the SDK's exports in scope. */
const flow = (body: string) => `"use strict";
const { listenToEvent, github, env, log, store, chatCompletion } = require("@openflows/sdk");
exports.run = async function run() {
${body}
};
`;

/** The FlowDeployError discovery rejects with. */
async function discoveryErrorOf(bundle: string, env: Record<string, string> = {}): Promise<FlowDeployError> {
  const error = await discoverSubscriptions(bundle, env, 'test-flow').then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FlowDeployError);
  return error as FlowDeployError;
}

describe('discoverSubscriptions', () => {
  it('records what run() listens to, with targets lower-cased', async () => {
    const bundle = flow(`
      await listenToEvent(github.repo("Octo", "Hello"), ["issues", "issue_comment"], async () => {});
      await listenToEvent(github.repo("octo", "other"), "pull_request", async () => {});
    `);
    expect(await discoverSubscriptions(bundle, {}, 'test-flow')).toEqual([
      { provider: 'github', target: 'octo/hello', event: 'issues' },
      { provider: 'github', target: 'octo/hello', event: 'issue_comment' },
      { provider: 'github', target: 'octo/other', event: 'pull_request' },
    ]);
  });

  it('records each subscription once', async () => {
    const bundle = flow(`
      await listenToEvent(github.repo("octo", "hello"), ["issues", "issues"], async () => {});
      await listenToEvent(github.repo("OCTO", "HELLO"), ["issues", "issue_comment"], async () => {});
    `);
    expect(await discoverSubscriptions(bundle, {}, 'test-flow')).toEqual([
      { provider: 'github', target: 'octo/hello', event: 'issues' },
      { provider: 'github', target: 'octo/hello', event: 'issue_comment' },
    ]);
  });

  it('records subscriptions the flow forgot to await', async () => {
    const bundle = flow(`listenToEvent(github.repo("octo", "hello"), "issues", async () => {});`);
    expect(await discoverSubscriptions(bundle, {}, 'test-flow')).toEqual([{ provider: 'github', target: 'octo/hello', event: 'issues' }]);
  });

  it('gives run() the deploy-time variables', async () => {
    const bundle = flow(`await listenToEvent(github.repo(env("owner"), env("repo")), "issues", async () => {});`);
    expect(await discoverSubscriptions(bundle, { owner: 'acme', repo: 'widgets' }, 'test-flow')).toEqual([
      { provider: 'github', target: 'acme/widgets', event: 'issues' },
    ]);
  });

  it('does not call handlers at deploy', async () => {
    const bundle = flow(`await listenToEvent(github.repo("octo", "hello"), "issues", () => { throw new Error("handler ran"); });`);
    await expect(discoverSubscriptions(bundle, {}, 'test-flow')).resolves.toHaveLength(1);
  });

  it('needs at least one subscription', async () => {
    const error = await discoveryErrorOf(flow('log.info("nothing to do");'));
    expect(error.code).toBe('FLOW_INVALID');
    expect(error.message).toBe('run() declared no subscription; call listenToEvent(...) in it');
  });

  it.each([
    ['chatCompletion', 'await chatCompletion("openai", "c", "hi")'],
    ['store.get', 'await store.get("k")'],
    ['github.context', 'github.context'],
    ['github.issues', 'github.issues'],
  ])('throws NOT_IN_HANDLER for %s in run()', async (_what, call) => {
    // The flow catches the error and subscribes to an event named after its code, so we can read it.
    const bundle = flow(`
      let code = "none";
      try { ${call}; } catch (e) { code = e.code; }
      await listenToEvent(github.repo("octo", "hello"), code, async () => {});
    `);
    expect(await discoverSubscriptions(bundle, {}, 'test-flow')).toEqual([
      { provider: 'github', target: 'octo/hello', event: 'NOT_IN_HANDLER' },
    ]);
  });

  it('fails the deploy with FLOW_INVALID when run() uses a handler-only service', async () => {
    const error = await discoveryErrorOf(flow('await chatCompletion("openai", "c", "hi");'));
    expect(error.code).toBe('FLOW_INVALID');
    expect(error.message).toMatch(/^run\(\) failed at deploy: only listenToEvent, env and log work in run\(\)/);
  });

  it('fails the deploy with FLOW_INVALID and the message when run() throws', async () => {
    const error = await discoveryErrorOf(flow('throw new Error("owner is not configured");'));
    expect(error.code).toBe('FLOW_INVALID');
    expect(error.message).toBe('run() failed at deploy: owner is not configured');
  });

  it('fails the deploy when a variable run() needs is missing', async () => {
    const error = await discoveryErrorOf(flow('await listenToEvent(github.repo(env("owner"), "r"), "issues", async () => {});'));
    expect(error.code).toBe('FLOW_INVALID');
    expect(error.message).toContain('"owner" is not set');
  });

  it('fails the deploy when the bundle cannot load', async () => {
    const error = await discoveryErrorOf('require("fs"); exports.run = async () => {};');
    expect(error.code).toBe('FLOW_INVALID');
    expect(error.message).toContain('"fs" is not available');
  });

  it('gives up on a run() that never finishes after 5 s', async () => {
    const error = await discoveryErrorOf(flow('await new Promise(() => {});'));
    expect(error.code).toBe('FLOW_INVALID');
    expect(error.message).toBe('run() failed at deploy: run() did not finish within 5000 ms');
  }, 10_000);
});
