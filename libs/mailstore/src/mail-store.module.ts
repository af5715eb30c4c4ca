import { Module } from '@nestjs/common';
import { FolderStore } from './folder-store';
import { MailNotifier } from './mail-notifier';
import { MailReader } from './mail-reader';
import { MailStore } from './mail-store';

/** The mail store over libs/db's folder, stored-mail and expunge repositories (needs PlatformModule in scope for them and Redis). */
@Module({ providers: [MailStore, MailReader, FolderStore, MailNotifier], exports: [MailStore, MailReader, FolderStore, MailNotifier] })
export class MailStoreModule {}
