export * from './run-dispatch.service';
export * from './run-updates';
export * from './run-view';
export * from './runs.module';
