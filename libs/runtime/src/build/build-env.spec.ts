import { flowBuildEnv, npmrcFromEnv } from './build-env';

const dirs = { home: '/tmp/b/home', tmp: '/tmp/b/tmp', npmCache: '/tmp/b/npm-cache' };

describe('flowBuildEnv', () => {
  it('gives the build its own folders, scripts off, and of the server only the npm registry and proxy settings', () => {
    const parent = {
      PATH: '/usr/local/bin:/usr/bin',
      HOME: '/home/openflows',
      TMPDIR: '/var/tmp',
      NODE_ENV: 'production',
      MASTER_KEY: 'a'.repeat(64),
      API_TOKEN: 'a-long-enough-api-token',
      GITHUB_APP_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----',
      DATABASE_URL: 'postgres://openflows:pw@db/openflows',
      OPENAI_API_KEY: 'sk-test',
      npm_config_registry: 'https://npm.example.test/',
      'npm_config_@acme:registry': 'https://acme.example.test/npm/',
      npm_config_cafile: '/etc/ssl/corp.pem',
      npm_config_strict_ssl: 'true',
      npm_config_https_proxy: 'http://proxy.example.test:3128',
      npm_config__authToken: 'npm-token',
      'npm_config_//npm.example.test/:_authToken': 'npm-token',
      npm_config_ignore_scripts: 'false',
      npm_config_cache: '/home/openflows/.npm',
      HTTPS_PROXY: 'http://proxy.example.test:3128',
      no_proxy: 'localhost',
      UNSET: undefined,
    };
    expect(flowBuildEnv(parent, dirs)).toEqual({
      PATH: '/usr/local/bin:/usr/bin',
      HOME: '/tmp/b/home',
      TMPDIR: '/tmp/b/tmp',
      npm_config_cache: '/tmp/b/npm-cache',
      npm_config_ignore_scripts: 'true',
      npm_config_registry: 'https://npm.example.test/',
      'npm_config_@acme:registry': 'https://acme.example.test/npm/',
      npm_config_cafile: '/etc/ssl/corp.pem',
      npm_config_strict_ssl: 'true',
      npm_config_https_proxy: 'http://proxy.example.test:3128',
      HTTPS_PROXY: 'http://proxy.example.test:3128',
      no_proxy: 'localhost',
    });
  });
});

describe('npmrcFromEnv', () => {
  it("writes the npm settings under npm's own names and leaves out values spanning lines", () => {
    const env = {
      PATH: '/usr/bin',
      npm_config_ignore_scripts: 'true',
      npm_config_strict_ssl: 'false',
      'npm_config_@acme:registry': 'https://acme.example.test/npm/',
      npm_config_registry: 'https://npm.example.test/\nignore-scripts=false',
    };
    expect(npmrcFromEnv(env)).toBe('ignore-scripts=true\nstrict-ssl=false\n@acme:registry=https://acme.example.test/npm/\n');
  });
});
