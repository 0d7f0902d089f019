import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@openflows/common';
import { FlowRuntime } from '@openflows/runtime';

/** Owns the worker's FlowRuntime: made from the configuration, its isolates disposed at shutdown (after the queues have stopped). */
@Injectable()
export class FlowRuntimeHost implements OnApplicationShutdown {
  readonly runtime: FlowRuntime;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.runtime = new FlowRuntime(config.flows);
  }

  onApplicationShutdown(): void {
    this.runtime.close();
  }
}
