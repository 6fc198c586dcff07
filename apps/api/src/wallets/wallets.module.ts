import { Module } from '@nestjs/common';
import { keyringProvider } from './keyring.provider';
import { WalletsService } from './wallets.service';

@Module({ providers: [keyringProvider, WalletsService], exports: [WalletsService] })
export class WalletsModule {}
