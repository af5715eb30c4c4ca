import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { DomainError, notFound } from '@mailroom/common';
import { TemplateRenderer } from '@mailroom/compose';
import { TemplateRepository, type Template } from '@mailroom/db';
import { AccountId } from '../http/auth';
import { JsonBody, ZodPipe } from '../http/zod';

const templateSchema = z
  .object({ name: z.string().min(1).max(200), subject: z.string().min(1).max(998), html: z.string().optional(), text: z.string().optional() })
  .strict();
const updateSchema = templateSchema.partial();

const view = (t: Template) => ({ id: t.id, name: t.name, subject: t.subject, html: t.html, text: t.text, version: t.version, created_at: t.createdAt, updated_at: t.updatedAt });

@ApiTags('templates')
@ApiBearerAuth()
@Controller('v1/templates')
export class TemplatesController {
  private readonly renderer = new TemplateRenderer();

  constructor(private readonly templates: TemplateRepository) {}

  @Post()
  @JsonBody(templateSchema)
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
  async list(@AccountId() accountId: string) {
    return (await this.templates.list(accountId)).map(view);
  }

  @Get(':id')
  async get(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    const template = await this.templates.find(accountId, id);
    if (!template) throw notFound('template');
    return view(template);
  }

  @Put(':id')
  @JsonBody(updateSchema)
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
  async remove(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    if (!(await this.templates.delete(accountId, id))) throw notFound('template');
  }

  private check(source: { subject: string; html?: string | null; text?: string | null }): void {
    if (!source.html && !source.text) throw new DomainError('invalid', 'body_required', 'html or text: at least one is required');
    const problem = this.renderer.check(source);
    if (problem) throw new DomainError('invalid', 'invalid_template', `the template does not compile: ${problem}`);
  }
}
