import { Module } from '@nestjs/common';
import { ScheduleAdapter } from './schedule.adapter';
import { ScheduleQueue } from './schedule-queue';
import { ScheduleRegistry } from './schedule-registry.service';

const providers = [ScheduleAdapter, ScheduleRegistry, ScheduleQueue];

/** Schedules: the adapter and the registration of their BullMQ job schedulers. Needs config and db. */
@Module({ providers, exports: providers })
export class ScheduleModule {}
