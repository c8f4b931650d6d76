// The Functions app's entry: importing each function file registers it with the host.
import { app } from '@azure/functions';
import { config } from './config.js';
import { preloader, shutdown } from './runtime.js';
import { startTelemetry, telemetry } from './telemetry.js';
import './http/admin.js';
import './http/health.js';
import './http/models.js';
import './http/monitoring.js';
import './http/openapi.js';
import './http/pages.js';
import './http/publish.js';
import './http/score.js';
import './http/batches.js';
import './queue/scoreChunk.js';
import './queue/validateBatch.js';

// Request bodies arrive as streams, so an oversized body is refused before it is all read.
app.setup({ enableHttpStream: true });

/** The host waits this long for appTerminate before the worker exits (WorkerTerminateGracePeriodInSeconds: 5 s). */
const TERMINATE_BUDGET_MS = 4000;

// appStart runs inside the worker's initialisation, which the host limits to 2 minutes and
// during which no request is served: models preload in the background (readiness reports them).
app.hook.appStart(async () => {
  await startTelemetry();
  void preloader().start(config().preloadModels);
});

// Within the host's grace period: stop every R worker (SIGKILL after 2 s) and send what
// telemetry holds, giving up on whatever is not done in time.
app.hook.appTerminate(async () => {
  let timer: NodeJS.Timeout | undefined;
  const budget = new Promise<void>((resolve) => (timer = setTimeout(resolve, TERMINATE_BUDGET_MS)));
  await Promise.race([Promise.allSettled([shutdown(), telemetry().flush()]), budget]);
  clearTimeout(timer);
});
