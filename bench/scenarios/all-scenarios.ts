/** Every scenario, in the order a run takes them. */
import { chatFanOut } from "./chat-fan-out.js";
import { createUsersIngest } from "./create-users-ingest.js";
import { listUsersStream } from "./list-users-stream.js";
import { observabilityOverhead } from "./observability-overhead.js";
import type { Scenario } from "./scenario.js";
import { unaryGetUser } from "./unary-get-user.js";

export function allScenarios(): Scenario[] {
  return [unaryGetUser(), observabilityOverhead, listUsersStream, createUsersIngest, chatFanOut];
}
