import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma.service';

@Injectable()
export class SettingRepository {
  constructor(private readonly prisma: PrismaService) {}

  async get(key: string): Promise<string | undefined> {
    return (await this.prisma.systemSetting.findUnique({ where: { key } }))?.value;
  }

  /**
   * Returns the stored value, storing `value` first if the key is new. Safe when many processes
   * start at once: the first insert wins and everybody reads the winner.
   */
  async getOrCreate(key: string, value: () => string): Promise<string> {
    await this.prisma.$executeRaw`INSERT INTO system_settings (key, value) VALUES (${key}, ${value()}) ON CONFLICT (key) DO NOTHING`;
    const row = await this.prisma.systemSetting.findUniqueOrThrow({ where: { key } });
    return row.value;
  }
}
