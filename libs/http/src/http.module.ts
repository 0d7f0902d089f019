import { Module } from '@nestjs/common';
import { SecretsModule } from '@openflows/secrets';
import { EndpointGuard } from './endpoint-guard.service';
import { EndpointsService } from './endpoints.service';
import { HttpAdapter } from './http.adapter';
import { HttpIngress } from './http-ingress';

const providers = [HttpAdapter, HttpIngress, EndpointsService, EndpointGuard];

/** HTTP endpoint flows: their URLs and keys, caller authentication, the ingress and the adapter. Needs config, db and Redis. */
@Module({ imports: [SecretsModule], providers, exports: providers })
export class HttpModule {}
