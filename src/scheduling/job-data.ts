import { DateTime } from 'luxon';
import { z } from 'zod';

const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;

const isoInstant = z.string().refine((s) => DateTime.fromISO(s, { zone: 'utc' }).isValid, {
  message: 'not an ISO-8601 timestamp',
});

/** What a rotation job carries: names, times and links, never a value. */
export const rotationJobSchema = z.object({
  secret: z.string().regex(SECRET_NAME),
  vault: z.url(),
  reason: z.enum(['scheduled', 'usage', 'manual']),
  /** A rotation committed at or after this instant satisfies the job. */
  triggeredAt: isoInstant,
  dueAt: isoInstant,
  requestedBy: z.string().max(256).optional(),
  note: z.string().max(1024).optional(),
  checkoutId: z.string().max(128).optional(),
  /** W3C traceparent of the checkout that forced this rotation, for a span link. */
  traceparent: z.string().max(128).optional(),
});
export type RotationJobData = z.infer<typeof rotationJobSchema>;

/** The contract's usage event; `checkoutId` and `traceparent` are our optional additions. */
export const usageEventSchema = z.object({
  secret: z.string().regex(SECRET_NAME, 'a Key Vault secret name: 1-127 letters, digits and -'),
  vault: z.url().optional(),
  actor: z.string().trim().min(1).max(256),
  reason: z.string().trim().min(1).max(1024),
  at: isoInstant,
  checkoutId: z.string().max(128).optional(),
  traceparent: z.string().max(128).optional(),
});
export type UsageEvent = z.infer<typeof usageEventSchema>;

/** One line naming every problem of a rejected payload. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length === 0 ? 'event' : issue.path.join('.')}: ${issue.message}`)
    .join('; ');
}

/** What a finished rotation job returns (BullMQ and its tracing keep it): never a value. */
export interface RotationJobResult {
  outcome: 'rotated' | 'satisfied' | 'recovered';
  rotationId: string | undefined;
  version: string | undefined;
}
