import { Param } from '@nestjs/common';
import { z } from 'zod';
import { ZodValidationPipe } from './zod-validation.pipe';

/**
 * Resource ids are UUIDs; anything else is a 400 before any lookup runs. They are lowercased, the
 * form the database stores and compares (an id kept as text, like a policy's target, must match).
 */
export const IdSchema = z.uuid({ message: 'must be a UUID' }).transform((id) => id.toLowerCase());

/** A validated UUID path parameter. */
export const IdParam = (name: string): ParameterDecorator =>
  Param(name, new ZodValidationPipe(IdSchema, name));
