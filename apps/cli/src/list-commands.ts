import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { DomainError } from '@mailroom/common';
import { ImportRepository, ListRepository } from '@mailroom/db';
import { LOGGER, type Logger } from '@mailroom/logger';
import { ContactImporter } from '@mailroom/newsletter';
import type { Command } from './commands';

/** How many rejected rows the command prints; all of them are in the API's rejects.csv. */
const REJECTS_PRINTED = 20;

/** Contact lists from the operator's shell. */
export const LIST_COMMANDS: Record<string, Command> = {
  'list:import': {
    usage: 'list:import <list id> <file.csv>',
    summary: 'import a CSV of contacts into a list (header row: an email column, the others become attributes), printing progress',
    async run(ctx) {
      const [listId, file] = ctx.args;
      if (!listId || !file) throw new DomainError('invalid', 'usage', 'give the list id and the CSV file');
      const lists = ctx.app.get(ListRepository);
      const list = /^[0-9a-f-]{36}$/i.test(listId) ? await lists.findPublic(listId) : null;
      if (!list) throw new DomainError('not_found', 'not_found', `no list ${listId}`);
      const size = (await stat(file)).size;
      const imports = ctx.app.get(ImportRepository);
      // Built here rather than through the newsletter module, which would bring the sending
      // path (and Redis) into a command that needs neither.
      const importer = new ContactImporter(imports, lists, ctx.app.get<Logger>(LOGGER));
      const quiet = ctx.flags.json === true;
      const started = Date.now();
      const row = await importer.run(list.account_id, list.id, createReadStream(file), {
        filename: basename(file),
        maxBytes: Number.MAX_SAFE_INTEGER,
        onStart: (id) => !quiet && process.stderr.write(`import ${id}: ${basename(file)} (${size} bytes) into "${list.name}"\n`),
        onProgress: (p) => !quiet && process.stderr.write(`read ${p.rowsRead}, added ${p.added}, updated ${p.updated}, rejected ${p.rejected}\n`),
      });
      const rejects = await imports.rejects(row.id, 0, REJECTS_PRINTED);
      const seconds = (Date.now() - started) / 1000;
      ctx.print({ ...row, rejects }, () =>
        [
          `import ${row.id} ${row.status} in ${seconds.toFixed(1)} s: read ${row.rows_read}, added ${row.added}, updated ${row.updated}, rejected ${row.rejected}`,
          ...rejects.map((r) => `  line ${r.line}: ${r.reason} ${r.email ?? ''}`),
          ...(row.rejected > rejects.length ? [`  ... all rejected rows: GET /v1/imports/${row.id}/rejects.csv`] : []),
        ].join('\n'),
      );
    },
  },
};
