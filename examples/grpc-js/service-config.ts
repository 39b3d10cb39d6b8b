/**
 * The gRPC service config this client gives its channel
 * (https://github.com/grpc/grpc/blob/master/doc/service_config.md):
 * - round_robin: a connection to every address the target resolves to, each
 *   call on the next ready one, so load spreads and a dead server is skipped;
 * - retries of UNAVAILABLE (the server went away, or never answered) with
 *   exponential backoff, for the methods that are safe to repeat.
 */
export const serviceConfig = {
  loadBalancingConfig: [{ round_robin: {} }],
  methodConfig: [
    {
      // Reads, and Login (a fresh token; nothing is stored). Not CreateUser,
      // UpdateUser or DeleteUser: a retry after the server acted but before
      // it answered would fail (ALREADY_EXISTS, NOT_FOUND) or repeat the change.
      name: [
        { service: "user.v1.UserService", method: "GetUser" },
        { service: "user.v1.UserService", method: "ListUsers" },
        { service: "auth.v1.AuthService", method: "Login" },
      ],
      retryPolicy: {
        maxAttempts: 4,
        // Attempt n waits a random time up to min(0.1 s * 2^(n-1), 1 s).
        initialBackoff: "0.1s",
        maxBackoff: "1s",
        backoffMultiplier: 2,
        retryableStatusCodes: ["UNAVAILABLE"],
      },
    },
  ],
};
