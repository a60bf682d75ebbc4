import { Duration, Interval } from 'luxon';
import { KqlError } from './kql-error';

export interface TimeWindow {
  start: number;
  end: number;
}

/**
 * The `timespan` of a query body, an ISO-8601 interval: `start/end`, `start/duration`,
 * `duration/end`, or a lone duration that ends now. Rows must lie in [start, end).
 */
export function parseTimespan(text: string, now: Date): TimeWindow {
  if (!text.includes('/')) {
    const d = Duration.fromISO(text);
    if (!d.isValid)
      throw new KqlError(
        'SemanticError',
        `The timespan '${text.slice(0, 100)}' is not an ISO-8601 duration or interval`,
      );
    return { start: now.getTime() - d.toMillis(), end: now.getTime() };
  }
  const i = Interval.fromISO(text, { setZone: true });
  if (!i.isValid || i.start === null || i.end === null) {
    throw new KqlError('SemanticError', `The timespan '${text.slice(0, 100)}' is not an ISO-8601 interval`);
  }
  return { start: i.start.toMillis(), end: i.end.toMillis() };
}
