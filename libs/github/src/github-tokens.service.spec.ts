import { hookScopeProblem, parseScopes } from './github-tokens.service';

describe('parseScopes', () => {
  it('splits the X-OAuth-Scopes header as GitHub sends it', () => {
    expect(parseScopes('admin:repo_hook, repo,  read:user')).toEqual(['admin:repo_hook', 'repo', 'read:user']);
    expect(parseScopes('')).toEqual([]);
  });

  it('is undefined without the header (fine-grained tokens)', () => {
    expect(parseScopes(undefined)).toBeUndefined();
    expect(parseScopes(null)).toBeUndefined();
  });
});

describe('hookScopeProblem', () => {
  it.each([[['admin:repo_hook']], [['repo', 'gist']], [['public_repo', 'admin:repo_hook']]])('accepts %j', (scopes) => {
    expect(hookScopeProblem(scopes)).toBeUndefined();
  });

  it.each([[['write:repo_hook']], [['public_repo']], [[]]])('names admin:repo_hook for %j', (scopes) => {
    expect(hookScopeProblem(scopes)).toContain('admin:repo_hook');
  });

  it('explains fine-grained tokens', () => {
    expect(hookScopeProblem(undefined)).toContain('fine-grained');
  });
});
