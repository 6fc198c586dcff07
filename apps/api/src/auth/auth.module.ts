import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { AccessGuard } from './access.guard';
import { BearerStrategy } from './bearer.strategy';

/** Bearer authentication for operators and agents, applied to every route by a global guard. */
@Module({
  imports: [PassportModule.register({ session: false })],
  providers: [BearerStrategy, { provide: APP_GUARD, useClass: AccessGuard }],
})
export class AuthModule {}
