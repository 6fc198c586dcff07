import { Module } from '@nestjs/common';
import { KEYRING, keyringProvider } from '@proco/config';
import { RelayerKeysService } from './relayer-keys.service';
import { WalletsService } from './wallets.service';

// The keyring is exported so other custodians of sealed secrets (receipt signing keys) share the
// one instance instead of revealing the master keys again.
@Module({
  providers: [keyringProvider, WalletsService, RelayerKeysService],
  exports: [WalletsService, RelayerKeysService, KEYRING],
})
export class WalletsModule {}
