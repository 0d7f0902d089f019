import { FlowDeployError } from './errors';

/**
 * One secret a flow declares it needs, from `openflows.secrets` in its package.json:
 * either a name (`"secrets": ["plugin_token"]`) or an entry of an object
 * (`"secrets": { "listen_notes": { "description": "…", "variable": "podcast_key_name" } }`).
 * With `variable`, the deploy-time variable of that name, when given, names the secret instead
 * (flows that read `getSecret(env('…'))`).
 */
export interface DeclaredSecret {
  name: string;
  description?: string;
  variable?: string;
}

/** The comment line a bundle carries its declared secrets on (after the limits line, if any). */
const SECRETS_BANNER = '// openflows:secrets ';

const invalid = () =>
  new FlowDeployError(
    'FLOW_INVALID',
    'package.json "openflows.secrets" must be a list of secret names or an object of { description?, variable? } entries',
  );

/**
 * Reads `openflows.secrets` (absent: none).
 * @throws FlowDeployError FLOW_INVALID when it is neither a list of names nor an object of objects.
 */
export function readDeclaredSecrets(value: unknown): DeclaredSecret[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) {
    if (!value.every((name) => typeof name === 'string' && name !== '')) throw invalid();
    return (value as string[]).map((name) => ({ name }));
  }
  if (typeof value !== 'object' || value === null) throw invalid();
  return Object.entries(value as Record<string, unknown>).map(([name, entry]) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw invalid();
    const { description, variable } = entry as Record<string, unknown>;
    return {
      name,
      ...(typeof description === 'string' ? { description } : {}),
      ...(typeof variable === 'string' ? { variable } : {}),
    };
  });
}

/**
 * The banner line carrying `secrets` in a bundle, so the declaration travels with it (CLI deploys,
 * redeploys), in the object form {@link readDeclaredSecrets} reads back; '' for none.
 */
export function secretsBanner(secrets: DeclaredSecret[]): string {
  if (secrets.length === 0) return '';
  return `${SECRETS_BANNER}${JSON.stringify(Object.fromEntries(secrets.map(({ name, ...entry }) => [name, entry])))}`;
}

/** The secrets a bundle's banner declares (see {@link secretsBanner}); none without the line or when it does not parse. */
export function bundleSecrets(code: string): DeclaredSecret[] {
  const line = code
    .split('\n', 2)
    .find((l) => l.startsWith(SECRETS_BANNER))
    ?.slice(SECRETS_BANNER.length);
  if (line === undefined) return [];
  try {
    return readDeclaredSecrets(JSON.parse(line));
  } catch {
    return [];
  }
}

/**
 * The declared secrets `existing` (the owner's secret names) lacks, each under the name it resolves
 * to with `env` (its `variable`'s value when given), in declaration order.
 */
export function missingSecrets(secrets: DeclaredSecret[], env: Record<string, string>, existing: ReadonlySet<string>): DeclaredSecret[] {
  return secrets
    .map((secret) => ({ ...secret, name: (secret.variable && env[secret.variable]) || secret.name }))
    .filter((secret) => !existing.has(secret.name));
}
