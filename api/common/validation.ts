/**
 * Zod at the edge: `@ZodBody(schema)` validates the body (400 saying what is wrong) and documents
 * it in OpenAPI from the same schema.
 */
import { applyDecorators, BadRequestException, Body, PipeTransform, Query } from '@nestjs/common';
import { ApiBody } from '@nestjs/swagger';
import { z, ZodType } from 'zod';

export class ZodPipe<T extends ZodType> implements PipeTransform {
  constructor(private readonly schema: T) {}
  transform(value: unknown): z.infer<T> {
    const result = this.schema.safeParse(value);
    if (!result.success) {
      throw new BadRequestException({
        error: 'BadRequest',
        message: 'request is invalid: ' + result.error.issues.map(formatIssue).join('; '),
        issues: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      });
    }
    return result.data;
  }
}

function formatIssue(issue: z.core.$ZodIssue): string {
  return issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message;
}

export function openApiSchema(schema: ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

export const ZodBody = (schema: ZodType) => Body(new ZodPipe(schema));
export const ZodQuery = (schema: ZodType) => Query(new ZodPipe(schema));
export const DocumentBody = (schema: ZodType) =>
  applyDecorators(ApiBody({ schema: openApiSchema(schema) as never }));
