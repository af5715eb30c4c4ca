import { Module } from '@nestjs/common';
import { DnsResolver } from '@mailroom/dns';
import { AccountService } from './account.service';
import { ApiKeyAuthenticator } from './api-key-authenticator';
import { CredentialService } from './credential.service';
import { DomainService } from './domain.service';
import { MailboxService } from './mailbox.service';

const services = [AccountService, ApiKeyAuthenticator, CredentialService, DomainService, MailboxService];

/** Accounts, keys, domains and logins; needs DbModule, SecretsModule and ConfigModule in scope. */
@Module({ providers: [...services, DnsResolver], exports: [...services, DnsResolver] })
export class TenancyModule {}
