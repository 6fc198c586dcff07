-- CreateEnum
CREATE TYPE "payment_status" AS ENUM ('authorizing', 'authorized', 'denied', 'pending_approval', 'failed');

-- CreateTable
CREATE TABLE "payments" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "agent_id" UUID NOT NULL,
    "idempotency_key" VARCHAR(128) NOT NULL,
    "request_hash" BYTEA NOT NULL,
    "status" "payment_status" NOT NULL,
    "resource_url" VARCHAR(2048) NOT NULL,
    "method" VARCHAR(16) NOT NULL,
    "network" VARCHAR(64),
    "asset" VARCHAR(42),
    "pay_to" VARCHAR(42),
    "amount" DECIMAL(78,0),
    "nonce" VARCHAR(66),
    "valid_after" DECIMAL(78,0),
    "valid_before" DECIMAL(78,0),
    "decision" JSONB,
    "response" TEXT,
    "response_status" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "payments_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "payments_org_id_created_at_idx" ON "payments"("org_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "payments_agent_id_idempotency_key_key" ON "payments"("agent_id", "idempotency_key");

-- AddForeignKey
ALTER TABLE "payments" ADD CONSTRAINT "payments_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "orgs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "payments" ADD CONSTRAINT "payments_org_id_agent_id_fkey" FOREIGN KEY ("org_id", "agent_id") REFERENCES "agents"("org_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Hand-written below this line: Prisma does not model CHECK constraints.

-- Amounts are positive uint256 values, like the holds they reserve.
ALTER TABLE "payments"
  ADD CONSTRAINT "payments_amount_positive_uint256"
    CHECK ("amount" IS NULL OR ("amount" > 0 AND "amount" <= 115792089237316195423570985008687907853269984665640564039457584007913129639935)),
  ADD CONSTRAINT "payments_response_iff_answered"
    CHECK (("response" IS NOT NULL) = ("status" IN ('authorized', 'pending_approval')));
