/**
 * What server reflection answers from, computed once: every file the
 * registry's types come from and every file those import, serialized as
 * google.protobuf.FileDescriptorProto, with tables from symbol and extension
 * to file.
 *
 * The tables are read from the FileDescriptorProtos rather than from
 * protobuf-es's descriptors, so that every name a file declares (fields,
 * oneofs, enum values, map entries) resolves, as in protoc's own tables.
 */
import { toBinary, type DescFile, type Registry } from "@bufbuild/protobuf";
import {
  FileDescriptorProtoSchema,
  type DescriptorProto,
  type EnumDescriptorProto,
  type FieldDescriptorProto,
  type FileDescriptorProto,
} from "@bufbuild/protobuf/wkt";

export interface IndexedFile {
  /** e.g. user/v1/user.proto */
  readonly name: string;
  /** A serialized google.protobuf.FileDescriptorProto. */
  readonly descriptor: Uint8Array;
}

export interface DescriptorIndex {
  /** Fully-qualified names of the registry's services, sorted. */
  readonly services: readonly string[];
  /**
   * The file, then every file it imports directly or not, each once (breadth
   * first); undefined for a file the index does not hold.
   */
  withImports(fileName: string): readonly IndexedFile[] | undefined;
  /** The name of the file declaring a fully-qualified symbol of any kind. */
  fileOfSymbol(symbol: string): string | undefined;
  /** The name of the file declaring extension `number` of message `extendee`. */
  fileOfExtension(extendee: string, number: number): string | undefined;
  /** The numbers of every known extension of a message; undefined when no file declares the message. */
  extensionNumbers(typeName: string): readonly number[] | undefined;
}

export function createDescriptorIndex(registry: Registry): DescriptorIndex {
  const files = new Map<string, { indexed: IndexedFile; imports: readonly string[] }>();
  const fileBySymbol = new Map<string, string>();
  const messages = new Set<string>();
  // extendee -> field number -> file
  const extensions = new Map<string, Map<number, string>>();
  const services = new Set<string>();

  const addFile = (file: DescFile): void => {
    if (files.has(file.proto.name)) {
      return;
    }
    const proto = withDependencyNames(file);
    files.set(proto.name, {
      indexed: { name: proto.name, descriptor: toBinary(FileDescriptorProtoSchema, proto) },
      imports: proto.dependency,
    });
    collectSymbols(proto, {
      symbol: (name) => {
        if (!fileBySymbol.has(name)) {
          fileBySymbol.set(name, proto.name);
        }
      },
      message: (name) => messages.add(name),
      extension: (extendee, number) => {
        const numbers = extensions.get(extendee) ?? new Map<number, string>();
        extensions.set(extendee, numbers.set(number, proto.name));
      },
    });
    file.dependencies.forEach(addFile);
  };
  for (const desc of registry) {
    addFile(desc.file);
    if (desc.kind === "service") {
      services.add(desc.typeName);
    }
  }

  // Closures and number lists are computed once too: answers only pick from them.
  const closures = new Map<string, readonly IndexedFile[]>();
  for (const name of files.keys()) {
    closures.set(name, closure(name, files));
  }
  const extensionNumbers = new Map<string, readonly number[]>();
  for (const message of messages) {
    extensionNumbers.set(message, [...(extensions.get(message)?.keys() ?? [])].sort((a, b) => a - b));
  }

  return {
    services: [...services].sort(),
    withImports: (fileName) => closures.get(fileName),
    fileOfSymbol: (symbol) => fileBySymbol.get(symbol),
    fileOfExtension: (extendee, number) => extensions.get(extendee)?.get(number),
    extensionNumbers: (typeName) => extensionNumbers.get(typeName),
  };
}

/**
 * The file's FileDescriptorProto with its imports named. protobuf-es passes
 * a generated file's imports in code, and some versions leave them out of the
 * embedded descriptor; a client cannot link a file without them.
 */
function withDependencyNames(file: DescFile): FileDescriptorProto {
  if (file.proto.dependency.length === file.dependencies.length) {
    return file.proto;
  }
  return { ...file.proto, dependency: file.dependencies.map((dep) => dep.proto.name) };
}

function closure(
  fileName: string,
  files: ReadonlyMap<string, { indexed: IndexedFile; imports: readonly string[] }>,
): IndexedFile[] {
  const result: IndexedFile[] = [];
  const seen = new Set<string>([fileName]);
  const queue = [fileName];
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    const file = files.get(name);
    if (file === undefined) {
      continue;
    }
    result.push(file.indexed);
    for (const imported of file.imports) {
      if (!seen.has(imported)) {
        seen.add(imported);
        queue.push(imported);
      }
    }
  }
  return result;
}

interface SymbolSink {
  symbol(name: string): void;
  message(name: string): void;
  extension(extendee: string, number: number): void;
}

/** Every fully-qualified name the file declares, with protoc's scoping rules. */
function collectSymbols(file: FileDescriptorProto, sink: SymbolSink): void {
  const scope = file.package === "" ? "" : `${file.package}.`;
  collectMessages(file.messageType, scope, sink);
  collectEnums(file.enumType, scope, sink);
  collectExtensions(file.extension, scope, sink);
  for (const service of file.service) {
    const name = scope + service.name;
    sink.symbol(name);
    for (const method of service.method) {
      sink.symbol(`${name}.${method.name}`);
    }
  }
}

function collectMessages(messages: readonly DescriptorProto[], scope: string, sink: SymbolSink): void {
  for (const message of messages) {
    const name = scope + message.name;
    sink.symbol(name);
    sink.message(name);
    for (const field of message.field) {
      sink.symbol(`${name}.${field.name}`);
    }
    for (const oneof of message.oneofDecl) {
      sink.symbol(`${name}.${oneof.name}`);
    }
    collectMessages(message.nestedType, `${name}.`, sink);
    collectEnums(message.enumType, `${name}.`, sink);
    collectExtensions(message.extension, `${name}.`, sink);
  }
}

function collectEnums(enums: readonly EnumDescriptorProto[], scope: string, sink: SymbolSink): void {
  for (const enumType of enums) {
    sink.symbol(scope + enumType.name);
    // Enum values are siblings of their enum, not children (C++ scoping).
    for (const value of enumType.value) {
      sink.symbol(scope + value.name);
    }
  }
}

function collectExtensions(extensions: readonly FieldDescriptorProto[], scope: string, sink: SymbolSink): void {
  for (const extension of extensions) {
    sink.symbol(scope + extension.name);
    // Descriptors name the extendee fully qualified, with a leading dot.
    sink.extension(extension.extendee.replace(/^\./, ""), extension.number);
  }
}
