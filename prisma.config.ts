import { defineConfig } from 'prisma/config';

// The CLI is used only for `prisma generate` and `prisma validate`: migrations are plain SQL
// applied by `npm run db:migrate` (scripts/migrate.ts), which needs no schema-engine binary.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/mailroom' },
});
