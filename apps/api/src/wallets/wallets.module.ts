import { Module } from '@nestjs/common';
import { KEYRING, keyringProvider } from '@proco/config';
import { WalletsService } from './wallets.service';

// The keyring is exported so other custodians of sealed secrets (receipt signing keys) share the
// one instance instead of revealing the master keys again.
@Module({ providers: [keyringProvider, WalletsService], exports: [WalletsService, KEYRING] })
export class WalletsModule {}
