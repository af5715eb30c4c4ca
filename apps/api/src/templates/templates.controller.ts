import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { DomainError, notFound } from '@mailroom/common';
import { TemplateRenderer } from '@mailroom/compose';
import { TemplateRepository, type Template } from '@mailroom/db';
import { AccountId } from '../http/auth';
import { ApiDoc, timestamp } from '../http/openapi';
import { ZodPipe } from '../http/zod';

const templateSchema = z
  .object({ name: z.string().min(1).max(200), subject: z.string().min(1).max(998), html: z.string().optional(), text: z.string().optional() })
  .strict();
const updateSchema = templateSchema.partial();
const templateView = z.object({ id: z.string().uuid(), name: z.string(), subject: z.string(), html: z.string().nullable(), text: z.string().nullable(), version: z.number().int(), created_at: timestamp, updated_at: timestamp });

const view = (t: Template) => ({ id: t.id, name: t.name, subject: t.subject, html: t.html, text: t.text, version: t.version, created_at: t.createdAt, updated_at: t.updatedAt });

@ApiTags('templates')
@Controller('v1/templates')
export class TemplatesController {
  private readonly renderer = new TemplateRenderer();

  constructor(private readonly templates: TemplateRepository) {}

  @Post()
  @ApiDoc({ summary: 'Create a template', body: templateSchema, response: templateView, status: 201, errors: [409, 422] })
  async create(@AccountId() accountId: string, @Body(new ZodPipe(templateSchema)) body: z.infer<typeof templateSchema>) {
    this.check(body);
    try {
      return view(await this.templates.create(accountId, body));
    } catch (error) {
      if ((error as { code?: string }).code === 'P2002') throw new DomainError('conflict', 'template_exists', `a template named "${body.name}" exists`);
      throw error;
    }
  }

  @Get()
  @ApiDoc({ summary: 'List templates', response: z.array(templateView) })
  async list(@AccountId() accountId: string) {
    return (await this.templates.list(accountId)).map(view);
  }

  @Get(':id')
  @ApiDoc({ summary: 'Read a template', response: templateView, errors: [404] })
  async get(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    const template = await this.templates.find(accountId, id);
    if (!template) throw notFound('template');
    return view(template);
  }

  @Put(':id')
  @ApiDoc({ summary: 'Change a template (a new version)', body: updateSchema, response: templateView, errors: [404, 422] })
  async update(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string, @Body(new ZodPipe(updateSchema)) body: z.infer<typeof updateSchema>) {
    const current = await this.templates.find(accountId, id);
    if (!current) throw notFound('template');
    this.check({ subject: body.subject ?? current.subject, html: body.html ?? current.html, text: body.text ?? current.text });
    const updated = await this.templates.update(accountId, id, body);
    if (!updated) throw notFound('template');
    return view(updated);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiDoc({ summary: 'Delete a template', errors: [404] })
  async remove(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    if (!(await this.templates.delete(accountId, id))) throw notFound('template');
  }

  private check(source: { subject: string; html?: string | null; text?: string | null }): void {
    if (!source.html && !source.text) throw new DomainError('invalid', 'body_required', 'html or text: at least one is required');
    const problem = this.renderer.check(source);
    if (problem) throw new DomainError('invalid', 'invalid_template', `the template does not compile: ${problem}`);
  }
}
