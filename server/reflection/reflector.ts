/**
 * Answers server reflection requests (grpc.reflection.v1 and v1alpha have the
 * same messages) from a descriptor index built once at start.
 *
 * A question the server cannot answer is not a failed call: the protocol
 * answers it in band with an error_response (e.g. NOT_FOUND) and the stream
 * goes on, so a client can ask its next question.
 */
import type { Registry } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { createDescriptorIndex, type DescriptorIndex } from "./descriptor-index.js";

/** A ServerReflectionRequest of either version. */
export interface ReflectionRequest {
  readonly messageRequest:
    | { readonly case: "fileByFilename"; readonly value: string }
    | { readonly case: "fileContainingSymbol"; readonly value: string }
    | {
        readonly case: "fileContainingExtension";
        readonly value: { readonly containingType: string; readonly extensionNumber: number };
      }
    | { readonly case: "allExtensionNumbersOfType"; readonly value: string }
    | { readonly case: "listServices"; readonly value: string }
    | { readonly case: undefined; readonly value?: undefined };
}

/** The message_response of a ServerReflectionResponse of either version. */
export type ReflectionAnswer =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

export interface Reflector {
  /**
   * Answers one request. `sentFiles` holds the files already sent on this
   * stream: they are left out of later answers (the protocol allows it),
   * except the file asked for.
   */
  answer(request: ReflectionRequest, sentFiles: Set<string>): ReflectionAnswer;
}

export function createReflector(registry: Registry): Reflector {
  const index = createDescriptorIndex(registry);
  const services: ReflectionAnswer = {
    case: "listServicesResponse",
    value: { service: index.services.map((name) => ({ name })) },
  };

  const files = (fileName: string | undefined, sentFiles: Set<string>, notFound: string): ReflectionAnswer => {
    const closure = fileName === undefined ? undefined : index.withImports(fileName);
    if (closure === undefined) {
      return error(Code.NotFound, notFound);
    }
    const answer = closure.filter((file, position) => position === 0 || !sentFiles.has(file.name));
    for (const file of answer) {
      sentFiles.add(file.name);
    }
    return { case: "fileDescriptorResponse", value: { fileDescriptorProto: answer.map((file) => file.descriptor) } };
  };

  return {
    answer({ messageRequest: request }, sentFiles) {
      switch (request.case) {
        case "listServices":
          return services;
        case "fileByFilename":
          return files(request.value, sentFiles, `no file named "${request.value}"`);
        case "fileContainingSymbol":
          return files(index.fileOfSymbol(request.value), sentFiles, `no symbol named "${request.value}"`);
        case "fileContainingExtension": {
          const { containingType, extensionNumber } = request.value;
          return files(
            index.fileOfExtension(containingType, extensionNumber),
            sentFiles,
            `no extension ${extensionNumber} of "${containingType}"`,
          );
        }
        case "allExtensionNumbersOfType": {
          const numbers = index.extensionNumbers(request.value);
          return numbers === undefined
            ? error(Code.NotFound, `no message type named "${request.value}"`)
            : { case: "allExtensionNumbersResponse", value: { baseTypeName: request.value, extensionNumber: [...numbers] } };
        }
        case undefined:
          return error(
            Code.InvalidArgument,
            "the request asks nothing: set one of file_by_filename, file_containing_symbol, file_containing_extension, all_extension_numbers_of_type, list_services",
          );
      }
    },
  };
}

function error(code: Code, errorMessage: string): ReflectionAnswer {
  return { case: "errorResponse", value: { errorCode: code, errorMessage } };
}
