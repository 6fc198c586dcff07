import { Logger } from '@nestjs/common';
import { type Queue } from 'bullmq';

/** How often the worker checks that its repeating jobs are still registered in Redis. */
export const SCHEDULE_CHECK_INTERVAL_MS = 15_000;

/** One repeating job: its name (also its scheduler id), interval and job options. */
export interface JobSchedule {
  readonly name: string;
  readonly everyMs: number;
  readonly options: Record<string, unknown>;
}

/**
 * Registers repeating jobs and keeps them registered. BullMQ keeps a scheduler only in Redis, so a
 * Redis that restarts without its data would silently stop every sweep (and with it the outbox
 * that makes Redis loss harmless); every `SCHEDULE_CHECK_INTERVAL_MS` each missing scheduler is
 * registered again. `upsertJobScheduler` is idempotent, so replicas doing the same never
 * duplicate a schedule. A failed check (Redis down) is logged and tried again at the next tick.
 */
export class JobScheduleKeeper {
  private readonly logger = new Logger(JobScheduleKeeper.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly queue: Queue,
    private readonly schedules: readonly JobSchedule[],
  ) {}

  /** Registers every schedule now, then checks them on a timer until `stop`. */
  async start(): Promise<void> {
    for (const schedule of this.schedules) await this.register(schedule);
    this.timer = setInterval(() => {
      this.restoreMissing().catch((error: unknown) =>
        this.logger.warn(
          {
            queue: this.queue.name,
            err: { message: error instanceof Error ? error.message : String(error) },
          },
          'could not check the job schedules',
        ),
      );
    }, SCHEDULE_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Registers the schedules Redis no longer has; answers their names. */
  async restoreMissing(): Promise<string[]> {
    const restored: string[] = [];
    for (const schedule of this.schedules) {
      if ((await this.queue.getJobScheduler(schedule.name)) !== undefined) continue;
      await this.register(schedule);
      restored.push(schedule.name);
    }
    if (restored.length > 0) this.logger.warn({ queue: this.queue.name, restored }, 'job schedules restored');
    return restored;
  }

  private async register(schedule: JobSchedule): Promise<void> {
    await this.queue.upsertJobScheduler(
      schedule.name,
      { every: schedule.everyMs },
      { name: schedule.name, data: { requestedBy: 'schedule' }, opts: schedule.options },
    );
  }
}
