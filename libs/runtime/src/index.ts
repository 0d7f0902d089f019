export * from './bundle';
export * from './discover';
export * from './errors';
export * from './flow-store';
export * from './run';
export * from './sandbox';
