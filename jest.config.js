/**
 * Two projects: unit specs beside the code, and end-to-end specs in test/ that start the built
 * api and worker processes (run `npm run build` first; `npm test` does).
 */
// NestJS 12 ships ES modules only; jest loads them into our CommonJS specs with require(esm), which
// needs vm.SourceTextModule (Node's --experimental-vm-modules, set for npm run and npx by .npmrc).
if (typeof require('node:vm').SourceTextModule !== 'function') {
  throw new Error('jest needs NODE_OPTIONS=--experimental-vm-modules: run it through `npx jest` or `npm test` (.npmrc sets it)');
}

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
};
const base = { transform: { '^.+\\.ts$': swc }, moduleNameMapper, testEnvironment: 'node' };

module.exports = {
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,flows}/**/*.spec.ts'] },
    { ...base, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
};
