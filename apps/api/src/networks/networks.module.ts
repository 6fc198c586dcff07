import { Module } from '@nestjs/common';
import { NetworkRegistryService } from './network-registry.service';
import { NetworksController } from './networks.controller';

@Module({
  controllers: [NetworksController],
  providers: [NetworkRegistryService],
  exports: [NetworkRegistryService],
})
export class NetworksModule {}
