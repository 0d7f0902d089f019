import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { APP_CONFIG, EVENTS_QUEUE, bullConnection, type AppConfig } from '@openflows/common';
import { RunsModule, RunUpdatesSubscriber } from '@openflows/runs';
import { ReplayService } from './replay.service';
import { RunStreamsService } from './run-streams.service';
import { RunsController } from './runs.controller';
import { RunsService } from './runs.service';

/**
 * The runs API: listings, live updates (this process subscribes to the run updates channel) and
 * replays, which put jobs on the events queue (registered here as a producer: commands fail at once
 * while Redis is away) and on the runs partitions (through `RunDispatchService`).
 */
@Module({
  imports: [
    RunsModule,
    BullModule.registerQueueAsync({
      name: EVENTS_QUEUE,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({ connection: bullConnection(config.redis.url, 'producer') }),
    }),
  ],
  controllers: [RunsController],
  providers: [RunsService, RunStreamsService, ReplayService, RunUpdatesSubscriber],
})
export class ApiRunsModule {}
