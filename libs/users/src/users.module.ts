import { Module } from '@nestjs/common';
import { SendingModule } from '@mailroom/sending';
import { SystemMailer } from './system-mailer';
import { UserService } from './user.service';

/** Dashboard users, sessions, roles and the mail about them; needs PlatformModule in scope. */
@Module({ imports: [SendingModule], providers: [UserService, SystemMailer], exports: [UserService, SystemMailer] })
export class UsersModule {}
