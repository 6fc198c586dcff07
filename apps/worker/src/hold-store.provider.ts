import { type Provider } from '@nestjs/common';
import { type HoldStore } from '@proco/ledger';
import { PostgresHoldStore } from '@proco/persistence';

/** Injection token of the `HoldStore` port in the worker (PostgreSQL implements it). */
export const HOLD_STORE = Symbol('HOLD_STORE');

export const holdStoreProvider: Provider<HoldStore> = { provide: HOLD_STORE, useExisting: PostgresHoldStore };
