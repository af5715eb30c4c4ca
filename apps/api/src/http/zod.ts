import { BadRequestException, type PipeTransform } from '@nestjs/common';
import { ApiBody } from '@nestjs/swagger';
import type { ZodType, ZodTypeDef } from 'zod';
import { zodToJsonSchema } from 'zod-to-json-schema';

/** Validates a request part against a zod schema: 400 invalid_request naming the first bad field. */
export class ZodPipe<T> implements PipeTransform<unknown, T> {
  constructor(private readonly schema: ZodType<T, ZodTypeDef, unknown>) {}

  transform(value: unknown): T {
    const result = this.schema.safeParse(value ?? {});
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    const path = issue.path.length ? `${issue.path.join('.')}: ` : '';
    throw new BadRequestException({ code: 'invalid_request', message: `${path}${issue.message}` });
  }
}

/** The OpenAPI (JSON Schema) form of a zod schema. */
export function jsonSchema(schema: ZodType<unknown, ZodTypeDef, unknown>): Record<string, unknown> {
  // The converter's generic types recurse too deep for the compiler; its input is any zod schema.
  const convert = zodToJsonSchema as unknown as (schema: unknown, options: object) => Record<string, unknown>;
  return convert(schema, { target: 'openApi3', $refStrategy: 'none' });
}

/** Documents a JSON body in OpenAPI from the same zod schema that validates it. */
export function JsonBody(schema: ZodType<unknown, ZodTypeDef, unknown>): MethodDecorator {
  return ApiBody({ schema: jsonSchema(schema) });
}
