// The Functions app's entry: importing each function file registers it with the host.
import { app } from '@azure/functions';
import { config } from './config.js';
import { models, shutdown } from './runtime.js';
import { startTelemetry, telemetry } from './telemetry.js';
import './http/health.js';
import './http/models.js';
import './http/openapi.js';
import './http/score.js';
import './http/batches.js';
import './queue/scoreChunk.js';

// Request bodies arrive as streams, so an oversized body is refused before it is all read.
app.setup({ enableHttpStream: true });

app.hook.appStart(async () => {
  await startTelemetry();
  for (const name of config().preloadModels) {
    await models()
      .preload(name)
      .catch((err: unknown) => console.warn(`preloading model ${name} failed: ${(err as Error).message}`));
  }
});

app.hook.appTerminate(async () => {
  await shutdown();
  await telemetry().flush();
});
