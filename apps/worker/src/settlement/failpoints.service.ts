import { Injectable } from '@nestjs/common';
import { InjectConfig, type ProcoConfig } from '@proco/config';

/** The named sites of the settlement path a crash test can stop the worker at. */
export type SettlementFailpoint =
  | 'settlement.beforeSign'
  | 'settlement.afterPersist'
  | 'settlement.afterBroadcast'
  | 'settlement.afterReceipt'
  | 'settlement.afterLedger';

/** Thrown at a failpoint configured as `error`. */
export class FailpointError extends Error {
  readonly code = 'failpoint';
  constructor(readonly site: SettlementFailpoint) {
    super(`failpoint ${site} reached`);
    this.name = 'FailpointError';
  }
}

/**
 * Crash sites for the crash-safety tests (`PROCO_FAILPOINTS=settlement.afterBroadcast:crash`):
 * `crash` kills the process with SIGKILL on the spot, as a power cut would; `error` throws, as a
 * lost connection would. Configuration refuses failpoints in production; unset, `hit` does nothing.
 */
@Injectable()
export class FailpointsService {
  constructor(@InjectConfig() private readonly config: ProcoConfig) {}

  hit(site: SettlementFailpoint): void {
    const action = this.config.failpoints.get(site);
    if (action === 'crash') process.kill(process.pid, 'SIGKILL');
    if (action === 'error') throw new FailpointError(site);
  }
}
