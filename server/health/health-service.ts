/**
 * grpc.health.v1.Health over a HealthChecker, as gRPC's health checking
 * protocol specifies it: Check answers NOT_FOUND for an unknown service,
 * Watch answers SERVICE_UNKNOWN and stays open in case it becomes known.
 *
 *   router.service(Health, createHealthService(checker));
 */
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { Health } from "../../gen/grpc/health/v1/health_pb.js";
import type { HealthChecker } from "./health-checker.js";

/** The protocol's bound on List, so that its answer stays small. */
const LIST_LIMIT = 100;

export function createHealthService(checker: HealthChecker): ServiceImpl<typeof Health> {
  return {
    check({ service }) {
      const status = checker.status(service);
      if (status === undefined) {
        throw new ConnectError(`unknown service "${service}"`, Code.NotFound);
      }
      return { status };
    },

    list() {
      const statuses = checker.statuses();
      if (statuses.size > LIST_LIMIT) {
        throw new ConnectError(`more than ${LIST_LIMIT} services: use Check for each`, Code.ResourceExhausted);
      }
      return { statuses: Object.fromEntries([...statuses].map(([service, status]) => [service, { status }])) };
    },

    async *watch({ service }, { signal }) {
      for await (const status of checker.watch(service, signal)) {
        yield { status };
      }
    },
  };
}
