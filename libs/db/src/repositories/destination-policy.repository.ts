import { Injectable } from '@nestjs/common';
import { newId } from '@mailroom/common';
import { PrismaService } from '../prisma.service';

export interface DestinationPolicyInput {
  pattern: string;
  maxConnections: number;
  messagesPerMinute?: number | null;
}

/** Operator-wide limits per destination domain or MX host suffix; not tenant data. */
@Injectable()
export class DestinationPolicyRepository {
  constructor(private readonly prisma: PrismaService) {}

  list() {
    return this.prisma.destinationPolicy.findMany({ orderBy: { pattern: 'asc' } });
  }

  upsert(input: DestinationPolicyInput) {
    const data = { maxConnections: input.maxConnections, messagesPerMinute: input.messagesPerMinute ?? null };
    return this.prisma.destinationPolicy.upsert({
      where: { pattern: input.pattern },
      create: { id: newId(), pattern: input.pattern, ...data },
      update: data,
    });
  }

  async remove(pattern: string): Promise<boolean> {
    return (await this.prisma.destinationPolicy.deleteMany({ where: { pattern } })).count > 0;
  }
}
