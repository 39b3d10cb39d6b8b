/**
 * The serving status of the whole server (service "") and of each service by
 * name: what grpc.health.v1.Health and the HTTP probes report.
 *
 * Once shutdown() is called every service is NOT_SERVING for good: a readiness
 * check that still succeeds while the server drains must not turn it back.
 */
import { HealthCheckResponse_ServingStatus as ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";

export { ServingStatus };

export interface HealthChecker {
  /** The status of `service` ("" for the whole server), or undefined for an unknown service. */
  status(service: string): ServingStatus | undefined;
  /** Every known service with its status. */
  statuses(): ReadonlyMap<string, ServingStatus>;
  /** Sets a service's status, making it known; ignored once shutting down. */
  setStatus(service: string, status: ServingStatus): void;
  /**
   * The service's status now (SERVICE_UNKNOWN for an unknown service), then
   * each change, until `signal` aborts, which ends it with the signal's
   * reason. A reader that falls behind gets the latest status, not every one
   * in between.
   */
  watch(service: string, signal: AbortSignal): AsyncIterable<ServingStatus>;
  /** Turns every service NOT_SERVING for the rest of the process's life. */
  shutdown(): void;
  readonly shuttingDown: boolean;
}

/** A checker knowing only the whole server (""), SERVING. */
export function createHealthChecker(): HealthChecker {
  const statuses = new Map<string, ServingStatus>([["", ServingStatus.SERVING]]);
  const listeners = new Map<string, Set<() => void>>();
  let shuttingDown = false;

  const change = (service: string, status: ServingStatus): void => {
    if (statuses.get(service) === status) {
      return;
    }
    statuses.set(service, status);
    listeners.get(service)?.forEach((listener) => listener());
  };

  async function* watch(service: string, signal: AbortSignal): AsyncGenerator<ServingStatus> {
    let wake: (() => void) | undefined;
    const listener = () => wake?.();
    const serviceListeners = listeners.get(service) ?? new Set();
    listeners.set(service, serviceListeners.add(listener));
    signal.addEventListener("abort", listener);
    try {
      let sent: ServingStatus | undefined;
      for (;;) {
        signal.throwIfAborted();
        const latest = statuses.get(service) ?? ServingStatus.SERVICE_UNKNOWN;
        if (latest !== sent) {
          sent = latest;
          yield latest;
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      serviceListeners.delete(listener);
      if (serviceListeners.size === 0) {
        listeners.delete(service);
      }
      signal.removeEventListener("abort", listener);
    }
  }

  return {
    status: (service) => statuses.get(service),
    statuses: () => statuses,
    setStatus(service, status) {
      if (!shuttingDown) {
        change(service, status);
      }
    },
    watch,
    shutdown() {
      shuttingDown = true;
      for (const service of statuses.keys()) {
        change(service, ServingStatus.NOT_SERVING);
      }
    },
    get shuttingDown() {
      return shuttingDown;
    },
  };
}
