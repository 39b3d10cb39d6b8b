/**
 * Enforces the contract's input rules: every request message (the one of a
 * unary or server-streaming call, each one of a client or bidi stream) is
 * checked against its buf.validate annotations in proto/ before the handler
 * sees it. Handlers rely on this for bounds they no longer check themselves.
 *
 * A violation is INVALID_ARGUMENT with a readable message and, as an error
 * detail, a buf.validate.Violations message (field path, rule id, message per
 * violation) that Connect, gRPC and gRPC-Web clients decode as a typed detail.
 */
import { create, type DescMessage, type DescMethod, type DescService, type Message } from "@bufbuild/protobuf";
import { pathToString } from "@bufbuild/protobuf/reflect";
import { createValidator, violationsToProto, type Validator, type Violation } from "@bufbuild/protovalidate";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

export interface ValidationOptions {
  /**
   * The services whose request rules are compiled at start: a rule that does
   * not compile stops the server there instead of failing calls later.
   */
  readonly services: readonly DescService[];
}

export function createValidationInterceptor({ services }: ValidationOptions): Interceptor {
  // One validator for the server's life: it compiles each message's rules once.
  const validator = createValidator();
  for (const service of services) {
    for (const method of service.methods) {
      const result = validator.validate(method.input, create(method.input));
      if (result.kind === "error") {
        throw new Error(`the buf.validate rules of ${method.input.typeName} do not compile`, { cause: result.error });
      }
    }
  }

  return (next) => async (req) => {
    if (!req.stream) {
      check(validator, req.method.input, req.message, "");
      return next(req);
    }
    const entryName = streamEntryName[req.method.methodKind];
    return next({ ...req, message: checkEach(validator, req.method.input, req.message, entryName) });
  };
}

/**
 * How an error names a message of a request stream. CreateUsers reports its
 * other entry errors as "entry 3: ..."; validation says it the same way.
 */
const streamEntryName: Partial<Record<DescMethod["methodKind"], (index: number) => string>> = {
  client_streaming: (index) => `entry ${index}: `,
  bidi_streaming: (index) => `message ${index}: `,
};

async function* checkEach<T extends Message>(
  validator: Validator,
  schema: DescMessage,
  messages: AsyncIterable<T>,
  entryName: ((index: number) => string) | undefined,
): AsyncGenerator<T> {
  let index = 0;
  for await (const message of messages) {
    check(validator, schema, message, entryName?.(index) ?? "");
    index++;
    yield message;
  }
}

function check(validator: Validator, schema: DescMessage, message: Message, prefix: string): void {
  const result = validator.validate(schema, message);
  switch (result.kind) {
    case "valid":
      return;
    case "invalid": {
      const [violations, desc] = violationsToProto(result.violations);
      throw new ConnectError(prefix + describeViolations(result.violations), Code.InvalidArgument, undefined, [
        { desc, value: violations },
      ]);
    }
    case "error":
      // A rule that fails to evaluate is a server bug, not the client's:
      // the internal-errors interceptor logs it and answers INTERNAL.
      throw result.error;
  }
}

/** "username: must be ...; email: must be ..." */
function describeViolations(violations: readonly Violation[]): string {
  return violations
    .map((v) => {
      const field = pathToString(v.field);
      return field === "" ? v.message : `${field}: ${v.message}`;
    })
    .join("; ");
}
