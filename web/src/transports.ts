/**
 * The three ways a browser can call the server, all over fetch on the
 * page's own origin. The app switches between them at run time; every
 * screen works on each.
 */
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";

export interface TransportChoice {
  readonly id: string;
  readonly label: string;
  create(interceptors: Interceptor[]): Transport;
}

const baseUrl = location.origin;

export const TRANSPORTS: readonly TransportChoice[] = [
  {
    id: "connect-json",
    label: "Connect (JSON)",
    // GET for calls without side effects (GetUser): browsers and proxies may cache them.
    create: (interceptors) => createConnectTransport({ baseUrl, interceptors, useHttpGet: true }),
  },
  {
    id: "connect-binary",
    label: "Connect (binary)",
    create: (interceptors) => createConnectTransport({ baseUrl, interceptors, useHttpGet: true, useBinaryFormat: true }),
  },
  {
    id: "grpc-web",
    label: "gRPC-Web",
    create: (interceptors) => createGrpcWebTransport({ baseUrl, interceptors }),
  },
];

const STORAGE_KEY = "user-service.transport";

/** The transport chosen last time in this browser, or Connect (JSON). */
export function savedTransport(): TransportChoice {
  const id = localStorage.getItem(STORAGE_KEY);
  return TRANSPORTS.find((t) => t.id === id) ?? TRANSPORTS[0]!;
}

export function saveTransport(choice: TransportChoice): void {
  localStorage.setItem(STORAGE_KEY, choice.id);
}
