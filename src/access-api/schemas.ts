import { z } from 'zod';

/** Request bodies of the access API; unknown fields are refused so typos do not pass silently. */
export const checkoutBody = z
  .object({
    reason: z.string().max(1024).default(''),
    ticket: z.string().max(128).default(''),
    requestId: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,64}$/)
      .optional(),
  })
  .strict();

export const requestBody = z
  .object({
    secret: z.string().max(127),
    reason: z.string().max(1024).default(''),
    ticket: z.string().max(128).default(''),
    duration: z.string().max(40).optional(),
  })
  .strict();

export const decisionBody = z.object({ reason: z.string().max(1024).optional() }).strict();

export function describe(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length === 0 ? 'body' : issue.path.join('.')}: ${issue.message}`)
    .join('; ');
}
