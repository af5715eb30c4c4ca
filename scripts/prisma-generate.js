#!/usr/bin/env node
// Runs `prisma generate` on machines where Prisma's schema-engine binary cannot be downloaded:
// generate does not use that engine, but the CLI insists that one exists, so any file will do.
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const cli = join(__dirname, '..', 'node_modules', 'prisma', 'build', 'index.js');
if (!existsSync(cli)) {
  console.log('prisma CLI not installed (production install?): skipping prisma generate');
  process.exit(0);
}
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1', PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || process.execPath };
const result = spawnSync(process.execPath, [cli, 'generate'], { stdio: 'inherit', env, cwd: join(__dirname, '..') });
process.exit(result.status ?? 1);
