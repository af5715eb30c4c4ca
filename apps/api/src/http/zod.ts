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
  return nullableBranches(convert(schema, { target: 'openApi3', $refStrategy: 'none' }));
}

/**
 * OpenAPI 3.0 allows `nullable` only beside a `type`: a nullable union (`{anyOf, nullable}`)
 * becomes a union of nullable branches, which says the same and passes Redocly's lint.
 */
function nullableBranches<T>(node: T): T {
  if (Array.isArray(node)) return node.map(nullableBranches) as T;
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = nullableBranches(value);
  const branches = (out.anyOf ?? out.oneOf) as Array<Record<string, unknown>> | undefined;
  if (out.nullable === true && out.type === undefined && branches) {
    delete out.nullable;
    for (const branch of branches) branch.nullable = true;
  }
  return out as T;
}

/** Documents a JSON body in OpenAPI from the same zod schema that validates it. */
export function JsonBody(schema: ZodType<unknown, ZodTypeDef, unknown>): MethodDecorator {
  return ApiBody({ schema: jsonSchema(schema) });
}
