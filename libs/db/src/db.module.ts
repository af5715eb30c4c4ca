import { Global, Module } from '@nestjs/common';
import { PrismaService } from './prisma.service';
import { AccountRepository } from './repositories/account.repository';
import { ApiKeyRepository } from './repositories/api-key.repository';
import { DomainRepository } from './repositories/domain.repository';
import { MailboxRepository } from './repositories/mailbox.repository';
import { SettingRepository } from './repositories/setting.repository';
import { SmtpCredentialRepository } from './repositories/smtp-credential.repository';
import { DeliveryRepository } from './repositories/delivery.repository';
import { InboundRepository } from './repositories/inbound.repository';
import { DestinationPolicyRepository } from './repositories/destination-policy.repository';
import { MessageRepository } from './repositories/message.repository';
import { SuppressionRepository } from './repositories/suppression.repository';
import { TemplateRepository } from './repositories/template.repository';
import { WorkerRepository } from './repositories/worker.repository';
import { FolderRepository } from './repositories/folder.repository';
import { StoredMailRepository } from './repositories/stored-mail.repository';
import { ExpungeRepository } from './repositories/expunge.repository';
import { UnsubscribeRepository } from './repositories/unsubscribe.repository';
import { TrackingRepository } from './repositories/tracking.repository';
import { SegmentRepository } from './repositories/segment.repository';
import { CampaignRepository } from './repositories/campaign.repository';
import { CampaignDispatchRepository } from './repositories/campaign-dispatch.repository';
import { ContactRepository } from './repositories/contact.repository';
import { ListRepository } from './repositories/list.repository';
import { ImportRepository } from './repositories/import.repository';
import { EventRepository } from './repositories/event.repository';
import { WebhookRepository } from './repositories/webhook.repository';
import { WebhookDeliveryRepository } from './repositories/webhook-delivery.repository';
import { StatsRepository } from './repositories/stats.repository';
import { SessionRepository } from './repositories/session.repository';
import { UserRepository } from './repositories/user.repository';
import { Sql } from './sql';

const repositories = [
  EventRepository,
  WebhookRepository,
  WebhookDeliveryRepository,
  StatsRepository,
  AccountRepository,
  ApiKeyRepository,
  DomainRepository,
  MailboxRepository,
  SettingRepository,
  SmtpCredentialRepository,
  DeliveryRepository,
  InboundRepository,
  DestinationPolicyRepository,
  MessageRepository,
  SuppressionRepository,
  TemplateRepository,
  WorkerRepository,
  FolderRepository,
  StoredMailRepository,
  ExpungeRepository,
  UnsubscribeRepository,
  TrackingRepository,
  SegmentRepository,
  CampaignRepository,
  CampaignDispatchRepository,
  ContactRepository,
  ListRepository,
  ImportRepository,
  UserRepository,
  SessionRepository,
];

@Global()
@Module({ providers: [PrismaService, Sql, ...repositories], exports: [PrismaService, Sql, ...repositories] })
export class DbModule {}
