/**
 * Two projects: unit specs beside the code, and end-to-end specs in test/ that start the built
 * api and worker processes (run `npm run build` first; `npm test` does).
 */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2023',
      keepClassNames: true,
    },
  },
];
const moduleNameMapper = {
  '^@openflows/sdk/(.*)$': '<rootDir>/libs/sdk/src/$1',
  '^@openflows/(api|worker)$': '<rootDir>/apps/$1/src',
  // Every other @openflows/<name> is the library in libs/<name>.
  '^@openflows/([a-z-]+)$': '<rootDir>/libs/$1/src',
  '^@openflows/test-support/(.*)$': '<rootDir>/test/support/$1',
  // ES modules only: the real packages, bundled into CommonJS for jest's loader (see test/support/esm).
  '^@octokit/(app|rest)$': '<rootDir>/test/support/esm/octokit-$1.ts',
};
const base = { transform: { '^.+\\.ts$': swc }, moduleNameMapper, testEnvironment: 'node' };

module.exports = {
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,flows}/**/*.spec.ts'] },
    { ...base, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
};
