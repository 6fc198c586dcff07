import { type FactoryProvider } from '@nestjs/common';
import { PROCO_CONFIG } from './config.module';
import { type ProcoConfig } from './load-config';
import { createKeyring, type Keyring } from '@proco/keys';

/** Injection token of the master-key keyring. */
export const KEYRING = Symbol('KEYRING');

/**
 * Builds the keyring from configuration: the active master key plus any previous ones. Each
 * `reveal()` hands out a fresh copy of the key bytes; createKeyring copies them again, so the
 * copies are zeroed once it returns (or throws) rather than left for the garbage collector.
 */
export const keyringProvider = {
  provide: KEYRING,
  inject: [PROCO_CONFIG],
  useFactory: (config: ProcoConfig) => {
    const activeKey = config.masterKeys.active.reveal();
    const previousKeys = config.masterKeys.previous.map((key) => key.reveal());
    try {
      return createKeyring({ activeKey, previousKeys });
    } finally {
      activeKey.fill(0);
      for (const key of previousKeys) key.fill(0);
    }
  },
} satisfies FactoryProvider<Keyring>;
