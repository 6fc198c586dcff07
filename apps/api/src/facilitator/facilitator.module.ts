import { Module } from '@nestjs/common';
import { NetworksModule } from '../networks/networks.module';
import { AuthorizationLockService } from './authorization-lock.service';
import { FacilitatorController } from './facilitator.controller';
import { FacilitatorService } from './facilitator.service';

@Module({
  imports: [NetworksModule],
  controllers: [FacilitatorController],
  providers: [FacilitatorService, AuthorizationLockService],
})
export class FacilitatorModule {}
