export * from './schedule-queue';
export * from './schedule-registry.service';
export * from './schedule-ticks.processor';
export * from './schedule-ticks.service';
export * from './schedule-worker.module';
export * from './schedule.adapter';
export * from './schedule.module';
export * from './schedules';
