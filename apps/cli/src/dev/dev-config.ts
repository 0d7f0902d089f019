import { DEFAULT_EGRESS, egressAllowList, type EgressConfig } from '@openflows/common';
import { SdkError } from '@openflows/sdk';
import { CliError } from '../cli-error';

/** What `openflows dev` reads from the environment, parsed once. */
export interface DevConfig {
  /** `OPENAI_BASE_URL`, default OpenAI's. */
  openaiBaseUrl: string;
  /** `GITHUB_API_URL`, default `https://api.github.com`. */
  githubApiUrl: string;
  /** `GITHUB_TOKEN`; required with `--live`. */
  githubToken?: string;
  /**
   * `OPENAI_API_KEY` and the `OPENFLOWS_SECRET_*` variables, copied when the command starts (before any
   * flow runs), to look LLM keys up by secret name ({@link llmApiKey}).
   */
  keys: Record<string, string>;
  /** The flow's `fetch`: the platform's default policy, `FLOW_EGRESS_ALLOW` letting local hosts through. */
  egress: EgressConfig;
}

const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';
const DEFAULT_GITHUB_API_URL = 'https://api.github.com';

/**
 * Reads {@link DevConfig}.
 * @throws CliError when a URL is malformed, or `live` is set without `GITHUB_TOKEN`.
 */
export function devConfigFrom(env: NodeJS.ProcessEnv, live: boolean): DevConfig {
  const url = (name: string, fallback: string) => {
    const value = env[name] || fallback;
    if (!URL.canParse(value)) throw new CliError(`${name} must be a URL, got ${JSON.stringify(value)}`);
    return value.replace(/\/+$/, '');
  };
  const githubToken = env.GITHUB_TOKEN || undefined;
  if (live && !githubToken)
    throw new CliError('--live sends GitHub requests for real and needs GITHUB_TOKEN (a token that may write to the repository)');
  return {
    openaiBaseUrl: url('OPENAI_BASE_URL', DEFAULT_OPENAI_BASE_URL),
    githubApiUrl: url('GITHUB_API_URL', DEFAULT_GITHUB_API_URL),
    githubToken,
    keys: Object.fromEntries(
      Object.entries(env).filter(
        (entry): entry is [string, string] => (entry[0] === 'OPENAI_API_KEY' || entry[0].startsWith('OPENFLOWS_SECRET_')) && !!entry[1],
      ),
    ),
    egress: { ...DEFAULT_EGRESS, allow: egressAllowList(env.FLOW_EGRESS_ALLOW ?? '') },
  };
}

/** The variable that holds secret `keyName` locally: `OPENFLOWS_SECRET_` + the name upper-cased, other characters as `_`. */
export function secretEnvName(keyName: string): string {
  return `OPENFLOWS_SECRET_${keyName.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** The API key standing in for secret `keyName`: `OPENFLOWS_SECRET_<NAME>`, else `OPENAI_API_KEY`. */
export function llmApiKey(config: DevConfig, keyName: string): string | undefined {
  return config.keys[secretEnvName(keyName)] ?? config.keys.OPENAI_API_KEY;
}

/**
 * `getSecret(name)` in `openflows dev`: the value of `OPENFLOWS_SECRET_<NAME>` (never `OPENAI_API_KEY`,
 * which stands for LLM keys only). @throws SdkError SECRET_NOT_FOUND naming the variable to set.
 */
export function localSecret(config: DevConfig, name: string): string {
  const value = config.keys[secretEnvName(name)];
  if (value === undefined) throw new SdkError('SECRET_NOT_FOUND', `no secret "${name}" here: set ${secretEnvName(name)}`);
  return value;
}
