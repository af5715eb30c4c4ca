import { Module } from '@nestjs/common';
import { FolderStore } from './folder-store';
import { MailNotifier } from './mail-notifier';
import { MailStore } from './mail-store';

/** The mail store over PostgreSQL (needs PlatformModule in scope for Sql and Redis). */
@Module({ providers: [MailStore, FolderStore, MailNotifier], exports: [MailStore, FolderStore, MailNotifier] })
export class MailStoreModule {}
