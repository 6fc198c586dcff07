import { type Prisma } from './generated/prisma/client';

/** A Prisma interactive-transaction client; repositories accept it so a service can compose writes. */
export type Transaction = Prisma.TransactionClient;
