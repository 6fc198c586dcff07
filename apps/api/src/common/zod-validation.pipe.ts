import { type PipeTransform } from '@nestjs/common';
import { z } from 'zod';
import { type FieldError, ValidationFailedError } from './api.errors';

/** Maps zod issues to field errors with dotted paths (`metadata.team`, `limit`). */
export function fieldErrorsOf(error: z.ZodError, root?: string): FieldError[] {
  return error.issues.map((issue) => {
    const path = [...(root === undefined ? [] : [root]), ...issue.path.map(String)].join('.');
    return { field: path.length > 0 ? path : '(body)', message: issue.message };
  });
}

/**
 * Validates and parses one request part (body, query or a path parameter) with a zod schema.
 * Unknown body fields are rejected by the schemas themselves (`z.strictObject`).
 */
export class ZodValidationPipe<Schema extends z.ZodType> implements PipeTransform<unknown, z.output<Schema>> {
  constructor(
    private readonly schema: Schema,
    private readonly root?: string,
  ) {}

  transform(value: unknown): z.output<Schema> {
    const result = this.schema.safeParse(value);
    if (!result.success) throw new ValidationFailedError(fieldErrorsOf(result.error, this.root));
    return result.data;
  }
}

/** OpenAPI 3 schema of a zod schema, for `@ApiBody` and `@ApiResponse`. */
export function openApiSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', unrepresentable: 'any', io: 'input' });
}
