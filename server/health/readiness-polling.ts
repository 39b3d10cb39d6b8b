/**
 * Keeps services' health in step with something they cannot work without
 * (storage): probes it at start and then every `intervalMs`, and marks the
 * services SERVING while the probe succeeds, NOT_SERVING while it fails or
 * takes longer than the interval. Polling rather than probing on each Check
 * lets Watch streams see a change, and keeps probe traffic the same however
 * many clients ask.
 */
import { ServingStatus, type HealthChecker } from "./health-checker.js";

export interface ReadinessPollingOptions {
  readonly checker: HealthChecker;
  /** The services that depend on the probe ("" for the whole server). */
  readonly services: readonly string[];
  /** Resolves when the dependency is usable; rejects, with the reason, when not. */
  readonly probe: () => Promise<void>;
  readonly intervalMs: number;
  /** Told each change of readiness, with the probe's error when it fails. */
  readonly onChange?: (serving: boolean, error?: unknown) => void;
}

export interface ReadinessPolling {
  stop(): void;
}

/** Resolves once the first probe has set the services' status. */
export async function startReadinessPolling(options: ReadinessPollingOptions): Promise<ReadinessPolling> {
  const { checker, services, probe, intervalMs, onChange } = options;
  let serving: boolean | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const poll = async (): Promise<void> => {
    const error = await probeWithin(probe, intervalMs);
    if (stopped) {
      return;
    }
    const nowServing = error === undefined;
    for (const service of services) {
      checker.setStatus(service, nowServing ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
    }
    if (nowServing !== serving) {
      serving = nowServing;
      onChange?.(nowServing, error);
    }
    // A timer that waits for the probe: probes never overlap. Unref'd, so it
    // never keeps a process alive on its own.
    timer = setTimeout(() => void poll(), intervalMs).unref();
  };
  await poll();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** The probe's error, a timeout error, or undefined when it succeeded in time. */
async function probeWithin(probe: () => Promise<void>, timeoutMs: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  // Not unref'd: a probe that never settles must still come to an end.
  const timeout = new Promise<Error>((resolve) => {
    timer = setTimeout(() => resolve(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(probe).then(() => undefined, (error: unknown) => error ?? new Error("probe failed")), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
