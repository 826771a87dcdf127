import { z } from 'zod';
import { featureStatusSchema } from './feature.js';
import { taskStatusSchema } from './task.js';

/**
 * The append-only audit log of a feature. Every status change writes one event
 * in the same transaction as the change itself, so the log never disagrees with
 * the state it describes.
 */
export const featureEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('feature.created'),
    featureId: z.string(),
    id: z.string(),
    at: z.iso.datetime(),
    taskCount: z.number().int().nonnegative(),
  }),
  z.object({
    type: z.literal('feature.status'),
    featureId: z.string(),
    id: z.string(),
    at: z.iso.datetime(),
    from: featureStatusSchema,
    to: featureStatusSchema,
    reason: z.string().optional(),
  }),
  z.object({
    type: z.literal('task.status'),
    featureId: z.string(),
    id: z.string(),
    at: z.iso.datetime(),
    taskId: z.string(),
    from: taskStatusSchema,
    to: taskStatusSchema,
    reason: z.string().optional(),
  }),
  z.object({
    type: z.literal('note'),
    featureId: z.string(),
    id: z.string(),
    at: z.iso.datetime(),
    taskId: z.string().optional(),
    message: z.string().max(10_000),
  }),
]);
export type FeatureEvent = z.infer<typeof featureEventSchema>;
