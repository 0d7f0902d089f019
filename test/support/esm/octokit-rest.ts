/**
 * `@octokit/rest` for jest: the package as published, bundled into CommonJS by `requireEsm` (jest's
 * module loader cannot load ES modules). jest.config.js maps the package name here.
 */
import { requireEsm } from '../github-webhooks';

export const { Octokit } = requireEsm<typeof import('@octokit/rest')>('@octokit/rest');
