/**
 * GitHub webhook deliveries for tests: real example payloads published by GitHub
 * (`@octokit/webhooks-examples`), signed exactly as GitHub signs them (`@octokit/webhooks-methods`).
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { buildSync } from 'esbuild';
import webhookDefinitions from '@octokit/webhooks-examples';

/**
 * Loads an ESM-only package (Octokit ships only ESM) into jest's CommonJS sandbox: esbuild bundles
 * the package as it is published into one CommonJS module, evaluated with this file's `require`
 * for Node built-ins. Needed because jest without `--experimental-vm-modules` cannot `require`
 * ESM, and `@octokit/webhooks-methods` exports only an `import` condition. Call once per file.
 * Example: `const { App } = requireEsm<typeof import('@octokit/app')>('@octokit/app')`.
 */
export function requireEsm<T>(specifier: string): T {
  const { outputFiles } = buildSync({
    stdin: { contents: `export * from ${JSON.stringify(specifier)};`, resolveDir: __dirname, sourcefile: specifier },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    write: false,
    logLevel: 'silent',
  });
  const module = { exports: {} as T };
  new Function('module', 'exports', 'require', outputFiles[0].text)(module, module.exports, require);
  return module.exports;
}

type WebhooksMethods = {
  sign(secret: string, payload: string): Promise<string>;
  verify(secret: string, payload: string, signature: string): Promise<boolean>;
};
let webhooksMethods: WebhooksMethods | undefined;
/** `@octokit/webhooks-methods` (`sign`, `verify`), loaded once. */
export function webhooksMethodsModule(): WebhooksMethods {
  return (webhooksMethods ??= requireEsm<WebhooksMethods>('@octokit/webhooks-methods'));
}

/**
 * A deep copy of the first example payload GitHub published for `event` (e.g. 'issue_comment')
 * and, if given, `action` (e.g. 'created'). The data is `@octokit/webhooks-examples`: an array of
 * `{ name, actions, examples[] }`. Throws listing the available events / actions when none matches.
 */
export function examplePayload(event: string, action?: string): any {
  const definition = webhookDefinitions.find((d) => d.name === event);
  if (!definition) {
    const events = webhookDefinitions.map((d) => d.name).join(', ');
    throw new Error(`No example webhook payload for event '${event}'. Available events: ${events}`);
  }
  const examples = definition.examples as any[];
  const example = action === undefined ? examples[0] : examples.find((e) => e.action === action);
  if (!example) {
    const actions = [...new Set(examples.map((e) => e.action).filter(Boolean))];
    throw new Error(`No example '${event}' payload with action '${action}'. Examples exist for: ${actions.join(', ') || '(no actions)'}`);
  }
  return structuredClone(example);
}

/** A copy of `payload` whose `repository` is `owner/repo` (owner.login, name, full_name, html_url). */
export function withRepo<T extends { repository?: any }>(payload: T, owner: string, repo: string): T {
  if (!payload.repository) throw new Error('withRepo: payload has no repository');
  const copy = structuredClone(payload);
  copy.repository.owner.login = owner;
  copy.repository.name = repo;
  copy.repository.full_name = `${owner}/${repo}`;
  copy.repository.html_url = `https://github.com/${owner}/${repo}`;
  return copy;
}

/**
 * A copy of `payload` delivered to a GitHub App installation: `installation: { id, node_id }`,
 * as GitHub adds it (node_id is base64 of `023:IntegrationInstallation<id>`).
 */
export function withInstallation<T extends object>(
  payload: T,
  installationId: number,
): T & { installation: { id: number; node_id: string } } {
  const node_id = Buffer.from(`023:IntegrationInstallation${installationId}`).toString('base64');
  return { ...structuredClone(payload), installation: { id: installationId, node_id } };
}

/**
 * A webhook delivery as GitHub POSTs it: `body` is the compact JSON payload, `headers` carry
 * `X-GitHub-Event`, `X-GitHub-Delivery` (random UUID unless given), `X-GitHub-Hook-ID` with
 * `X-GitHub-Hook-Installation-Target-Type` (`hookId` given: that repository webhook's id and
 * `repository`, as a hook made through the hooks API delivers; otherwise a random id and
 * `integration`, as the App's webhook delivers), `X-Hub-Signature-256` (`sha256=` + HMAC-SHA256 hex of the raw body, from `@octokit/webhooks-methods`
 * `sign`), the legacy `X-Hub-Signature` (sha1), `Content-Type: application/json` and
 * `User-Agent: GitHub-Hookshot/…`. Async because `sign` is.
 */
export async function signedDelivery(options: {
  event: string;
  payload: unknown;
  secret: string;
  deliveryId?: string;
  hookId?: string | number;
}): Promise<{ headers: Record<string, string>; body: string }> {
  const body = JSON.stringify(options.payload);
  return {
    headers: {
      'Content-Type': 'application/json',
      'User-Agent': `GitHub-Hookshot/${randomBytes(4).toString('hex').slice(0, 7)}`,
      'X-GitHub-Event': options.event,
      'X-GitHub-Delivery': options.deliveryId ?? randomUUID(),
      'X-GitHub-Hook-ID': String(options.hookId ?? 100_000_000 + (randomBytes(3).readUIntBE(0, 3) % 1_000_000)),
      'X-GitHub-Hook-Installation-Target-Type': options.hookId === undefined ? 'integration' : 'repository',
      'X-Hub-Signature': `sha1=${createHmac('sha1', options.secret).update(body).digest('hex')}`,
      'X-Hub-Signature-256': await webhooksMethodsModule().sign(options.secret, body),
    },
    body,
  };
}
