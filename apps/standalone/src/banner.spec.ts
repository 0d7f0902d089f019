import { loadConfig } from '@openflows/common';
import { startupBanner } from './banner';

test('the banner says where things are and what is configured, without passwords', () => {
  const config = loadConfig({
    PUBLIC_URL: 'https://flows.example.com',
    DATABASE_URL: 'postgres://openflows:hunter2@db:5432/openflows',
    SLACK_CLIENT_ID: 'id',
    SLACK_CLIENT_SECRET: 'secret',
    SLACK_SIGNING_SECRET: 'signing',
  });
  const banner = startupBanner(config, 'http://127.0.0.1:3000');
  expect(banner.split('\n')[0]).toBe('OpenFlows listening on http://127.0.0.1:3000');
  expect(banner).toContain('dashboard  https://flows.example.com/\n');
  expect(banner).toContain('API docs   https://flows.example.com/api/docs\n');
  expect(banner).toContain('webhooks   https://flows.example.com/webhooks/<provider>\n');
  expect(banner).toContain('database   PostgreSQL postgres://openflows:***@db:5432/openflows\n');
  expect(banner).toContain('configured Slack\n');
  expect(banner).toMatch(/not set up GitHub App \(GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY, GITHUB_WEBHOOK_SECRET\); GitHub sign-in/);
  expect(banner).not.toContain('hunter2');
});

test('without DATABASE_URL the banner names the embedded database in the data directory', () => {
  const banner = startupBanner(loadConfig({ DATA_DIR: '/var/lib/openflows' }), 'http://127.0.0.1:3000');
  expect(banner).toContain('database   embedded PGlite in /var/lib/openflows/pglite\n');
  expect(banner).toContain('configured none\n');
});
