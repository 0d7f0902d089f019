import { Test } from '@nestjs/testing';
import { LoggerModule } from 'nestjs-pino';
import { Writable } from 'node:stream';
import { PlatformLogger, loggerOptions } from './logger';

type PinoHttpOptions = { level?: string; transport?: { target: string } };

test('a terminal gets pino-pretty through pino transport, anything else JSON lines', () => {
  const tty = loggerOptions({ logLevel: 'info' }, true).pinoHttp as PinoHttpOptions;
  const pipe = loggerOptions({ logLevel: 'info' }, false).pinoHttp as PinoHttpOptions;
  expect(tty.transport).toMatchObject({ target: 'pino-pretty' });
  expect(pipe.transport).toBeUndefined();
  expect([tty.level, pipe.level]).toEqual(['info', 'info']);
});

/** A PlatformLogger on a real pino logger at `level`, writing its JSON lines to `lines`. */
async function platformLogger(level: string, lines: { level: number; msg: string; context?: string }[]): Promise<PlatformLogger> {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const moduleRef = await Test.createTestingModule({
    imports: [LoggerModule.forRoot({ pinoHttp: [{ level }, stream] })],
    providers: [PlatformLogger],
  }).compile();
  return moduleRef.get(PlatformLogger);
}

// nestjs-pino keeps one root pino logger per process, so one logger at debug shows the levels chosen.
test("Nest's route-mapping lines are debug lines (dropped at LOG_LEVEL=info); other lines stay info", async () => {
  const lines: { level: number; msg: string; context?: string }[] = [];
  const logger = await platformLogger('debug', lines);
  logger.log('Mapped {/api/flows, GET} route', 'RouterExplorer');
  logger.log('FlowsController {/api/flows}:', 'RoutesResolver');
  logger.log('Nest application successfully started', 'NestApplication');
  expect(lines.map(({ level, msg, context }) => ({ level, msg, context }))).toEqual([
    { level: 20, msg: 'Mapped {/api/flows, GET} route', context: 'RouterExplorer' },
    { level: 20, msg: 'FlowsController {/api/flows}:', context: 'RoutesResolver' },
    { level: 30, msg: 'Nest application successfully started', context: 'NestApplication' },
  ]);
});
