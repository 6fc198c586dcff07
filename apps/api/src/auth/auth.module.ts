import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccessGuard } from './access.guard';
import { BearerAuthenticator } from './bearer-authenticator';

/** Bearer authentication for operators and agents, applied to every route by a global guard. */
@Module({
  providers: [BearerAuthenticator, { provide: APP_GUARD, useClass: AccessGuard }],
})
export class AuthModule {}
