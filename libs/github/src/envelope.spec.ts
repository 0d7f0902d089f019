import { examplePayload, withRepo } from '@openflows/test-support/github-webhooks';
import { randomUUID } from 'node:crypto';
import { MalformedDeliveryError, githubEnvelope } from './envelope';

/** Headers of an App delivery as the ingress hands them over (Node lower-cases header names). */
const headersFor = (event: string, deliveryId: string = randomUUID()): Record<string, string | undefined> => ({
  'x-github-event': event,
  'x-github-delivery': deliveryId,
  'x-github-hook-id': '123456789',
  'x-github-hook-installation-target-type': 'integration',
  'content-type': 'application/json',
});

/** Headers of a delivery through a repository webhook (the ones token connections create). */
const repositoryHookHeaders = (event: string, hookId: string) => ({
  ...headersFor(event),
  'x-github-hook-id': hookId,
  'x-github-hook-installation-target-type': 'repository',
});

function malformedErrorOf(work: () => unknown): MalformedDeliveryError {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(MalformedDeliveryError);
    expect((error as MalformedDeliveryError).code).toBe('DELIVERY_MALFORMED');
    return error as MalformedDeliveryError;
  }
  throw new Error('expected a MalformedDeliveryError');
}

describe('githubEnvelope', () => {
  it('converts issues.opened: lower-case target, conversation owner/repo#N, payload untouched', () => {
    const payload = examplePayload('issues', 'opened');
    const deliveryId = randomUUID();
    const envelope = githubEnvelope(headersFor('issues', deliveryId), payload);

    expect(envelope).toEqual({
      provider: 'github',
      deliveryId,
      name: 'issues',
      action: 'opened',
      target: 'codertocat/hello-world',
      conversationKey: `codertocat/hello-world#${payload.issue.number}`,
      payload,
    });
    expect(envelope.payload).toBe(payload);
  });

  it('puts a comment in the conversation of its issue', () => {
    const payload = withRepo(examplePayload('issue_comment', 'created'), 'Octo-Org', 'Widgets');
    payload.issue.number = 42;
    const envelope = githubEnvelope(headersFor('issue_comment'), payload);
    expect(envelope).toMatchObject({
      name: 'issue_comment',
      action: 'created',
      target: 'octo-org/widgets',
      conversationKey: 'octo-org/widgets#42',
    });
  });

  it('puts a pull request event in the conversation of its pull request', () => {
    const payload = examplePayload('pull_request', 'opened');
    const envelope = githubEnvelope(headersFor('pull_request'), payload);
    expect(envelope.target).toBe('codertocat/hello-world');
    expect(envelope.conversationKey).toBe(`codertocat/hello-world#${payload.pull_request.number}`);
  });

  it('puts a discussion event in the conversation of its discussion', () => {
    const payload = examplePayload('discussion', 'created');
    expect(githubEnvelope(headersFor('discussion'), payload).conversationKey).toBe(`octo-org/octo-repo#${payload.discussion.number}`);
  });

  it('uses the repository as the conversation of events without a thread (push)', () => {
    const envelope = githubEnvelope(headersFor('push'), examplePayload('push'));
    expect(envelope).toMatchObject({
      name: 'push',
      action: undefined,
      target: 'codertocat/hello-world',
      conversationKey: 'codertocat/hello-world',
    });
  });

  it('gives app-level events (installation) no target and an app: conversation', () => {
    const envelope = githubEnvelope(headersFor('installation'), examplePayload('installation', 'created'));
    expect(envelope).toMatchObject({ name: 'installation', action: 'created', target: undefined, conversationKey: 'app:installation' });
  });

  it('keeps redeliveries of one delivery apart from other deliveries by their delivery id', () => {
    const payload = examplePayload('issues', 'opened');
    const deliveryId = randomUUID();
    expect(githubEnvelope(headersFor('issues', deliveryId), payload).deliveryId).toBe(deliveryId);
    expect(githubEnvelope(headersFor('issues', deliveryId), payload)).toEqual(githubEnvelope(headersFor('issues', deliveryId), payload));
  });

  it('keeps the hook id of a delivery through a repository webhook', () => {
    const payload = examplePayload('issues', 'opened');
    delete payload.installation;
    const envelope = githubEnvelope(repositoryHookHeaders('issues', '4000001'), payload);
    expect(envelope).toMatchObject({ hookId: '4000001', target: 'codertocat/hello-world' });
  });

  it('keeps the hook id when GitHub sends no target type (older GitHub Enterprise Server)', () => {
    const headers = repositoryHookHeaders('issues', '4000002');
    delete (headers as Record<string, string | undefined>)['x-github-hook-installation-target-type'];
    expect(githubEnvelope(headers, examplePayload('issues', 'opened')).hookId).toBe('4000002');
  });

  it.each([
    ['an App delivery (integration)', { 'x-github-hook-installation-target-type': 'integration' }],
    ['an organization hook', { 'x-github-hook-installation-target-type': 'organization' }],
    ['no X-GitHub-Hook-ID', { 'x-github-hook-id': undefined }],
    ['a hook id that is not a number', { 'x-github-hook-id': 'abc' }],
  ])('gives no hook id for %s', (_what, override) => {
    const headers = { ...repositoryHookHeaders('issues', '4000003'), ...override };
    expect(githubEnvelope(headers, examplePayload('issues', 'opened'))).not.toHaveProperty('hookId');
  });

  it.each([
    ['X-GitHub-Event', 'x-github-event'],
    ['X-GitHub-Delivery', 'x-github-delivery'],
  ])('refuses a delivery without %s', (header, key) => {
    const headers = headersFor('issues');
    delete headers[key];
    expect(malformedErrorOf(() => githubEnvelope(headers, examplePayload('issues', 'opened'))).message).toBe(`missing ${header} header`);
    headers[key] = '';
    expect(malformedErrorOf(() => githubEnvelope(headers, examplePayload('issues', 'opened'))).message).toBe(`missing ${header} header`);
  });

  it('refuses a repeated header', () => {
    const headers = { ...headersFor('issues'), 'x-github-event': ['issues', 'push'] };
    malformedErrorOf(() => githubEnvelope(headers, examplePayload('issues', 'opened')));
  });

  it.each([
    ['null', null],
    ['an array', [examplePayload('issues', 'opened')]],
    ['a string', '{"action":"opened"}'],
    ['a number', 42],
  ])('refuses a body that is %s', (_what, body) => {
    expect(malformedErrorOf(() => githubEnvelope(headersFor('issues'), body)).message).toBe('body must be a JSON object');
  });
});
