import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { EVENTS_QUEUE } from '@openflows/common';
import { SCHEDULES_QUEUE } from './schedule-queue';
import { ScheduleTicks } from './schedule-ticks.service';
import { ScheduleTicksProcessor } from './schedule-ticks.processor';

/** The worker side of schedules: the processor that turns each tick's job into an event. Worker processes only. */
@Module({
  imports: [BullModule.registerQueue({ name: SCHEDULES_QUEUE }, { name: EVENTS_QUEUE })],
  providers: [ScheduleTicks, ScheduleTicksProcessor],
})
export class ScheduleWorkerModule {}
