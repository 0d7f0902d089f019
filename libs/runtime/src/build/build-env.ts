/** Folders of one build, inside its temporary directory. */
export interface BuildDirs {
  /** HOME of the build: empty, so that no `~/.npmrc`, git or ssh configuration of the server is read. */
  home: string;
  /** TMPDIR of the build. */
  tmp: string;
  /** npm's cache, fresh per build: a flow cannot leave entries there for another owner's build. */
  npmCache: string;
}

/**
 * npm settings taken from the server's environment: where packages come from and how to reach it.
 * Credentials (`_authToken`, `_auth`, `_password`, …) are not among them.
 */
const REGISTRY_SETTING = /^npm_config_(registry|@[^:]+:registry|cafile|strict_ssl|proxy|https_proxy|noproxy)$/i;
const PROXY_VARIABLES = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'];

/**
 * The whole environment of a build process: PATH, HOME and TMPDIR (the build's own folders), npm's
 * cache and `ignore-scripts=true`, and of `parent` only the npm registry settings (`npm_config_registry`,
 * `npm_config_@scope:registry`, `npm_config_cafile`, `npm_config_strict_ssl`, npm's proxy settings) and the
 * HTTP(S)_PROXY/NO_PROXY variables. Nothing else: no secret of the server reaches third-party tooling.
 * @param parent usually `process.env` of the api process.
 */
export function flowBuildEnv(parent: Record<string, string | undefined>, dirs: BuildDirs): Record<string, string> {
  const env: Record<string, string> = {
    PATH: parent.PATH ?? '',
    HOME: dirs.home,
    TMPDIR: dirs.tmp,
    npm_config_cache: dirs.npmCache,
    npm_config_ignore_scripts: 'true',
  };
  for (const [key, value] of Object.entries(parent)) {
    if (value !== undefined && (REGISTRY_SETTING.test(key) || PROXY_VARIABLES.includes(key))) env[key] = value;
  }
  return env;
}

/**
 * The build environment's `npm_config_*` settings as `~/.npmrc` lines (`npm_config_strict_ssl` →
 * `strict-ssl=…`, as npm names them). The build process writes them into its HOME because
 * `installFlowDependencies` gives npm only PATH, HOME and the proxy variables of its environment.
 * Values spanning lines are left out: they would add settings of their own.
 */
export function npmrcFromEnv(env: Record<string, string | undefined>): string {
  return Object.entries(env)
    .filter((entry): entry is [string, string] => /^npm_config_/i.test(entry[0]) && entry[1] !== undefined && !/[\r\n]/.test(entry[1]))
    .map(([key, value]) => `${key.slice('npm_config_'.length).toLowerCase().replace(/_/g, '-')}=${value}\n`)
    .join('');
}
