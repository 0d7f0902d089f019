import { redactUrl, signInEnabled, type AppConfig } from '@openflows/common';

/** A provider that needs settings in the environment before anything can connect, and which ones. */
const CONFIGURED_PROVIDERS: { name: string; variables: string[]; set: (config: AppConfig) => boolean }[] = [
  {
    name: 'GitHub App',
    variables: ['GITHUB_APP_ID', 'GITHUB_APP_PRIVATE_KEY', 'GITHUB_WEBHOOK_SECRET'],
    set: (c) => Boolean(c.github.appId && c.github.privateKey && c.github.webhookSecret),
  },
  { name: 'GitHub sign-in', variables: ['GITHUB_CLIENT_ID', 'GITHUB_CLIENT_SECRET'], set: signInEnabled },
  {
    name: 'Slack',
    variables: ['SLACK_CLIENT_ID', 'SLACK_CLIENT_SECRET', 'SLACK_SIGNING_SECRET'],
    set: (c) => Boolean(c.slack.clientId && c.slack.clientSecret && c.slack.signingSecret),
  },
];

/**
 * What `npm start` prints once the standalone process listens: where the dashboard, the API docs and
 * the webhooks are, where data is kept, and which providers are configured (the others are connected
 * from the dashboard with a bot token, no environment setting). The first line is the one people and
 * scripts wait for (`OpenFlows listening on <url>`). Never prints a secret: URLs lose their password.
 * @param listening the address the server is bound to (`app.getUrl()`)
 */
export function startupBanner(config: AppConfig, listening: string): string {
  const base = config.publicUrl;
  const database = config.databaseUrl ? `PostgreSQL ${redactUrl(config.databaseUrl)}` : `embedded PGlite in ${config.dataDir}/pglite`;
  const configured = CONFIGURED_PROVIDERS.filter((p) => p.set(config)).map((p) => p.name);
  const missing = CONFIGURED_PROVIDERS.filter((p) => !p.set(config)).map((p) => `${p.name} (${p.variables.join(', ')})`);
  const rows: [string, string][] = [
    ['dashboard', `${base}/`],
    ['API docs', `${base}/api/docs`],
    ['webhooks', `${base}/webhooks/<provider>`],
    ['database', database],
    ['redis', redactUrl(config.redis.url)],
    ['configured', configured.length ? configured.join(', ') : 'none'],
    ['not set up', missing.length ? missing.join('; ') : 'none'],
    ['by token', 'Telegram, Discord, Lark, WeChat: connect in the dashboard; HTTP endpoints and schedules need nothing'],
  ];
  return [`OpenFlows listening on ${listening}`, ...rows.map(([label, value]) => `  ${label.padEnd(11)}${value}`)].join('\n') + '\n';
}
