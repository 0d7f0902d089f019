#!/usr/bin/env node
'use strict';
// The `openflows` command: runs the CLI compiled by `npm run build` at the repository's root.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const main = join(__dirname, '..', '..', '..', 'dist', 'apps', 'cli', 'src', 'main.js');
if (!existsSync(main)) {
  process.stderr.write(`openflows: the CLI is not built (${main} is missing); run \`npm run build\` first\n`);
  process.exit(1);
}
require(main);
