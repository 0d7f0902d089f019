import { eventCoverage, permissionLabel } from './event-coverage';

const app = { events: ['issues', 'pull_request', 'custom_event'], permissions: { issues: 'write', pull_requests: 'read' } };

describe('eventCoverage', () => {
  it('needs the App to subscribe to the event and the installation to grant one of its permissions', () => {
    expect(eventCoverage('issues', app, { issues: 'read' })).toEqual({ covered: true });
    expect(eventCoverage('push', app, { contents: 'write' })).toEqual({ covered: false, missing: 'event', permissions: ['contents'] });
    expect(eventCoverage('pull_request', app, { issues: 'write' })).toEqual({
      covered: false,
      missing: 'permission',
      permissions: ['pull_requests'],
    });
  });

  it('delivers installation events always, checks unknown events on the App only, and permissions alone without the App', () => {
    expect(eventCoverage('installation_repositories', app, {})).toEqual({ covered: true });
    expect(eventCoverage('custom_event', app, {})).toEqual({ covered: true });
    expect(eventCoverage('push', undefined, { contents: 'read' })).toEqual({ covered: true });
    expect(eventCoverage('push', undefined, {})).toMatchObject({ covered: false, missing: 'permission' });
  });

  it("labels permissions as GitHub's settings page does", () => {
    expect(permissionLabel('pull_requests')).toBe('Pull requests');
    expect(permissionLabel('issues')).toBe('Issues');
  });
});
