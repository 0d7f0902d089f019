export * from './bundle';
export * from './discover';
export * from './errors';
export * from './flow-source';
export * from './flow-store';
export * from './run';
export * from './sandbox';
export * from './build/run-flow-build';
