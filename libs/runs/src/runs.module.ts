import { Module } from '@nestjs/common';
import { RunDispatchService, RunQueues } from './run-dispatch.service';
import { RunUpdatesPublisher } from './run-updates';

/**
 * Run dispatch and live-update publishing, shared by the worker (routing, attempts) and the api
 * (replays). Needs PlatformModule and DbModule.
 * The api provides `RunUpdatesSubscriber` itself: only a process serving live updates subscribes.
 */
@Module({ providers: [RunDispatchService, RunQueues, RunUpdatesPublisher], exports: [RunDispatchService, RunUpdatesPublisher] })
export class RunsModule {}
