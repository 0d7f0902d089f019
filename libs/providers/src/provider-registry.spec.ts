import type { ProviderAdapter } from '@openflows/common';
import { ProviderRegistry } from './provider-registry';

const adapter = (id: string): ProviderAdapter => ({
  id,
  connections: { card: () => ({ title: id, icon: id, connectedText: '', empty: '', source: '', docs: id }), details: () => [] },
  applyBookkeeping: () => Promise.resolve(),
  route: () => Promise.resolve({ dropped: 'test' }),
  bindRun: () => Promise.resolve({ context: {}, capabilities: {} }),
  unbound: () => ({ context: {}, capabilities: {} }),
});

describe('ProviderRegistry', () => {
  it('finds an adapter by provider id, and none for an unknown provider', () => {
    const registry = new ProviderRegistry([adapter('github'), adapter('slack')]);
    expect(registry.get('slack')?.id).toBe('slack');
    expect(registry.get('telegram')).toBeUndefined();
    expect(registry.adapters.map((a) => a.id)).toEqual(['github', 'slack']);
  });

  it('refuses two adapters with one id at boot', () => {
    expect(() => new ProviderRegistry([adapter('github'), adapter('github')])).toThrow('two provider adapters share an id');
  });
});
