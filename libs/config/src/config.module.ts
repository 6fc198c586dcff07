import { type DynamicModule, Global, Inject, Module } from '@nestjs/common';
import { loadConfig, type ProcoConfig } from './load-config';

/** Injection token for the frozen `ProcoConfig`. */
export const PROCO_CONFIG = Symbol('PROCO_CONFIG');

/** Parameter decorator injecting the configuration. */
export const InjectConfig = (): ParameterDecorator => Inject(PROCO_CONFIG);

/**
 * Provides the configuration to every module. `forRoot()` validates the process environment once;
 * tests pass a ready-made config instead.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config?: ProcoConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: PROCO_CONFIG, useFactory: () => config ?? loadConfig() }],
      exports: [PROCO_CONFIG],
    };
  }
}
