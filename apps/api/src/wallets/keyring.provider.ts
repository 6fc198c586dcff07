import { type Provider } from '@nestjs/common';
import { PROCO_CONFIG, type ProcoConfig } from '@proco/config';
import { createKeyring, type Keyring } from '@proco/keys';

/** Injection token of the master-key keyring. */
export const KEYRING = Symbol('KEYRING');

/** Builds the keyring from configuration: the active master key plus any previous ones. */
export const keyringProvider: Provider<Keyring> = {
  provide: KEYRING,
  inject: [PROCO_CONFIG],
  useFactory: (config: ProcoConfig) =>
    createKeyring({
      activeKey: config.masterKeys.active.reveal(),
      previousKeys: config.masterKeys.previous.map((key) => key.reveal()),
    }),
};
