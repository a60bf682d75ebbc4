import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';

/**
 * Steps through `items` with tracing suppressed inside each step, so the HTTP, Azure SDK and Redis
 * instrumentations make no span for the requests a step sends. A sweep lists every managed secret:
 * at 100,000 secrets that is 4,000 pages, and a span for each page's request, its SDK call and its
 * budget admission held the daemon ~35 MB above its resting size while Azure Monitor exported them
 * (BENCHMARKS.md, "Sweep at scale"). The listing is reported as a whole by its caller's span; what
 * the caller does with each item runs outside the suppression and is traced as before.
 */
export async function* untracedIteration<T>(items: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = items[Symbol.asyncIterator]();
  const quiet = suppressTracing(context.active());
  for (;;) {
    const step = await context.with(quiet, () => iterator.next());
    if (step.done === true) return;
    yield step.value;
  }
}
