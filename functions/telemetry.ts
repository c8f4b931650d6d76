import { context, trace, TraceFlags, type Context } from '@opentelemetry/api';
import type { TokenCredential } from '@azure/identity';
import type { TelemetryClient } from 'applicationinsights';
import { config } from './config.js';

/**
 * Application Insights, when APPLICATIONINSIGHTS_CONNECTION_STRING is set; otherwise
 * every call does nothing and the SDK is never loaded. Telemetry carries names, counts,
 * timings and outcomes only: never a request's rows or its predictions.
 */
export interface Telemetry {
  /** A call the app made, under the operation of `traceParent` (W3C) when given. */
  dependency(d: {
    name: string;
    type: string;
    target: string;
    durationMs: number;
    success: boolean;
    resultCode: string;
    properties: Record<string, string>;
    traceParent?: string;
  }): void;
  metric(name: string, value: number, properties?: Record<string, string>): void;
  event(name: string, properties: Record<string, string>, traceParent?: string): void;
  flush(): Promise<void>;
}

const off: Telemetry = {
  dependency: () => undefined,
  metric: () => undefined,
  event: () => undefined,
  flush: async () => undefined,
};

/** The OpenTelemetry context whose parent is the W3C traceparent, so telemetry joins that operation. */
export function contextOf(traceParent: string | undefined): Context {
  const m = /^[\da-f]{2}-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})$/.exec(traceParent ?? '');
  if (!m) return context.active();
  return trace.setSpanContext(context.active(), {
    traceId: m[1] as string,
    spanId: m[2] as string,
    traceFlags: Number.parseInt(m[3] as string, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  });
}

/**
 * The managed identity an `APPLICATIONINSIGHTS_AUTHENTICATION_STRING` names
 * (`Authorization=AAD;ClientId=<id>`; no ClientId: the system-assigned identity), or
 * undefined when it asks for no Entra authentication. The SDK's `setup()` does not read this
 * setting itself (only its auto-attach agent does), so the app hands the credential over.
 */
export function entraIdentity(authenticationString: string): { clientId?: string } | undefined {
  const parts = new Map(
    authenticationString
      .split(';')
      .map((p) => p.split('=').map((s) => s.trim()))
      .filter((kv) => kv.length === 2 && kv[0])
      .map(([k, v]) => [(k as string).toLowerCase(), v as string]),
  );
  if (parts.get('authorization')?.toLowerCase() !== 'aad') return undefined;
  const clientId = parts.get('clientid');
  return clientId ? { clientId } : {};
}

async function start(connectionString: string, authenticationString: string): Promise<Telemetry> {
  const ai = (await import('applicationinsights')).default;
  const setup = ai
    .setup(connectionString)
    .setAutoCollectConsole(false)
    .setAutoCollectRequests(false)
    .setAutoCollectDependencies(true)
    .setAutoCollectExceptions(true)
    .setSendLiveMetrics(false);
  const identity = entraIdentity(authenticationString);
  if (identity) {
    const { ManagedIdentityCredential } = await import('@azure/identity');
    const credential: TokenCredential = identity.clientId ? new ManagedIdentityCredential({ clientId: identity.clientId }) : new ManagedIdentityCredential();
    // Read when the exporter is built, in start(): with local auth off, telemetry without a token is dropped.
    ai.defaultClient.config.aadTokenCredential = credential;
  }
  setup.start();
  const client = ai.defaultClient as TelemetryClient;
  return {
    dependency: (d) =>
      context.with(contextOf(d.traceParent), () =>
        client.trackDependency({
          name: d.name,
          dependencyTypeName: d.type,
          target: d.target,
          data: d.name,
          duration: d.durationMs,
          success: d.success,
          resultCode: d.resultCode,
          properties: d.properties,
        }),
      ),
    metric: (name, value, properties) => client.trackMetric({ name, value, properties }),
    event: (name, properties, traceParent) => context.with(contextOf(traceParent), () => client.trackEvent({ name, properties })),
    flush: () => client.flush(),
  };
}

let current: Telemetry | undefined;
let starting: Promise<Telemetry> | undefined;

/** Starts telemetry if it is configured; the app calls this once at start. */
export async function startTelemetry(): Promise<Telemetry> {
  const { applicationInsightsConnectionString: connectionString, applicationInsightsAuthenticationString } = config();
  if (!connectionString) return (current = off);
  starting ??= start(connectionString, applicationInsightsAuthenticationString).then((t) => (current = t));
  return starting;
}

/** The process's telemetry: off until startTelemetry() found a connection string. */
export function telemetry(): Telemetry {
  return current ?? off;
}
