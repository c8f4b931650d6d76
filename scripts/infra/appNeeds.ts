import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BATCH_JOBS_QUEUE, BATCH_QUEUE, readConfig, type Config } from '../../functions/config.js';
import { appRoot } from '../../functions/paths.js';

/** What the app needs of its infrastructure, as its code says it: the input of templateChecks.ts. */
export interface AppNeeds {
  /** Every setting the app reads. */
  settings: string[];
  /** Settings the Functions host and the SDKs read, which the app itself does not. */
  hostSettings: RegExp;
  /** The app's own validation of its settings: throws ConfigError listing every problem. */
  readConfig(env: Record<string, string>): Config;
  /** The blob containers a configuration uses. */
  containers(config: Config): string[];
  /** The queues the app's functions use (each with its `<name>-poison` queue). */
  queues: string[];
  /** The anonymous health routes the platform's probes call. */
  probes: { live: string; ready: string };
  /** The port the Functions host in the image listens on. */
  hostPort: number;
  /** How long the host lets the worker initialise before it restarts it (seconds). */
  initSeconds: number;
}

/** Every environment variable functions/config.ts and functions/telemetry.ts read, found in their source. */
export function settingsTheCodeReads(): string[] {
  const source = ['functions/config.ts', 'functions/telemetry.ts'].map((f) => readFileSync(join(appRoot, f), 'utf8')).join('\n');
  const keys = [...source.matchAll(/(?:text|int|bool|list|env|share|shares)\(\s*'([A-Za-z_]+)'/g)].map((m) => m[1] as string);
  return [...new Set(keys)];
}

export function appNeeds(): AppNeeds {
  const host = JSON.parse(readFileSync(join(appRoot, 'host.json'), 'utf8')) as { extensions?: { http?: { routePrefix?: string } } };
  const prefix = host.extensions?.http?.routePrefix ?? 'api';
  return {
    settings: settingsTheCodeReads(),
    // FUNCTIONS_*: the host; AzureWebJobsStorage__*: the host's identity-based connection, which
    // readConfig reads by prefix; OTEL_*: the OpenTelemetry sampler the applicationinsights SDK reads.
    hostSettings: /^(FUNCTIONS_EXTENSION_VERSION|FUNCTIONS_WORKER_RUNTIME|AzureWebJobsStorage__(accountName|credential|clientId|blobServiceUri|queueServiceUri|tableServiceUri)|OTEL_TRACES_SAMPLER(_ARG)?)$/,
    readConfig: (env) => readConfig(env),
    containers: (c) => [c.modelsContainer, c.batchInputsContainer, c.batchesContainer, c.monitoringContainer, c.predictionLogContainer],
    queues: [BATCH_QUEUE, BATCH_JOBS_QUEUE],
    // functions/http/health.ts (both anonymous), under host.json's routePrefix.
    probes: { live: `/${prefix}/health/live`, ready: `/${prefix}/health/ready` },
    // The Functions base image's host listens on 80 (ASPNETCORE_URLS in the image).
    hostPort: 80,
    // initializationTimeout in the Node worker's worker.config.json (PLATFORM.md).
    initSeconds: 120,
  };
}
