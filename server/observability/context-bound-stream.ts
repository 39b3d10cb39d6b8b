/**
 * A stream whose every step runs in a given OpenTelemetry context.
 *
 * An interceptor's `context.with()` covers the call until the interceptor
 * returns; Connect pulls a response stream afterwards, from its own code,
 * where no span is current. A handler written as a generator (ListUsers)
 * runs its body — storage calls included — inside those pulls, so each one
 * must enter the span's context again.
 */
import { context, type Context } from "@opentelemetry/api";

export function bindStreamToContext<T>(ctx: Context, messages: AsyncIterable<T>): AsyncIterable<T> {
  return new ContextBoundStream(ctx, messages[Symbol.asyncIterator]());
}

/** Iterable once, like the generators it wraps. */
class ContextBoundStream<T> implements AsyncIterableIterator<T> {
  readonly #ctx: Context;
  readonly #iterator: AsyncIterator<T>;

  constructor(ctx: Context, iterator: AsyncIterator<T>) {
    this.#ctx = ctx;
    this.#iterator = iterator;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    return context.with(this.#ctx, this.#iterator.next, this.#iterator);
  }

  /** The reader stopped early: the source's cleanup (finally blocks) runs in the context too. */
  return(value?: unknown): Promise<IteratorResult<T>> {
    const iterator = this.#iterator;
    if (iterator.return === undefined) {
      return Promise.resolve({ done: true, value });
    }
    return context.with(this.#ctx, iterator.return, iterator, value);
  }

  /** Connect aborts a stream this way (a failed write, a reset) when the source can take it. */
  async throw(error?: unknown): Promise<IteratorResult<T>> {
    const iterator = this.#iterator;
    if (iterator.throw === undefined) {
      await this.return();
      throw error;
    }
    return context.with(this.#ctx, iterator.throw, iterator, error);
  }
}
