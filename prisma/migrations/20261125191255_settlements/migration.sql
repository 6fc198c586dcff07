-- CreateEnum
CREATE TYPE "relayer_transaction_status" AS ENUM ('pending', 'mined', 'reverted', 'replaced');

-- CreateEnum
CREATE TYPE "settlement_status" AS ENUM ('queued', 'broadcast', 'confirmed', 'failed', 'unknown');

-- AlterTable
ALTER TABLE "holds" ADD COLUMN "chain_checked_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "relayers" (
    "id" UUID NOT NULL,
    "address" VARCHAR(42) NOT NULL,
    "key_ciphertext" BYTEA NOT NULL,
    "data_key_ciphertext" BYTEA NOT NULL,
    "kek_id" VARCHAR(64) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "rewrapped_at" TIMESTAMPTZ(3),

    CONSTRAINT "relayers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "relayer_nonces" (
    "relayer_id" UUID NOT NULL,
    "chain_id" INTEGER NOT NULL,
    "next_nonce" BIGINT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "relayer_nonces_pkey" PRIMARY KEY ("relayer_id","chain_id")
);

-- CreateTable
CREATE TABLE "relayer_transactions" (
    "id" UUID NOT NULL,
    "relayer_id" UUID NOT NULL,
    "network" VARCHAR(64) NOT NULL,
    "chain_id" INTEGER NOT NULL,
    "nonce" BIGINT NOT NULL,
    "to" VARCHAR(42) NOT NULL,
    "raw_transaction" TEXT NOT NULL,
    "hash" VARCHAR(66) NOT NULL,
    "gas_limit" DECIMAL(78,0) NOT NULL,
    "max_fee_per_gas" DECIMAL(78,0) NOT NULL,
    "max_priority_fee_per_gas" DECIMAL(78,0) NOT NULL,
    "status" "relayer_transaction_status" NOT NULL DEFAULT 'pending',
    "broadcast_count" INTEGER NOT NULL DEFAULT 0,
    "block_number" BIGINT,
    "block_hash" VARCHAR(66),
    "gas_used" DECIMAL(78,0),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "broadcast_at" TIMESTAMPTZ(3),
    "finalized_at" TIMESTAMPTZ(3),

    CONSTRAINT "relayer_transactions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "settlements" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "network" VARCHAR(64) NOT NULL,
    "request_network" VARCHAR(64) NOT NULL,
    "x402_version" INTEGER NOT NULL,
    "chain_id" INTEGER NOT NULL,
    "asset" VARCHAR(42) NOT NULL,
    "payer" VARCHAR(42) NOT NULL,
    "pay_to" VARCHAR(42) NOT NULL,
    "amount" DECIMAL(78,0) NOT NULL,
    "nonce" VARCHAR(66) NOT NULL,
    "valid_after" DECIMAL(78,0) NOT NULL,
    "valid_before" DECIMAL(78,0) NOT NULL,
    "signature" TEXT NOT NULL,
    "signature_hash" VARCHAR(66) NOT NULL,
    "status" "settlement_status" NOT NULL DEFAULT 'queued',
    "relayer_transaction_id" UUID,
    "transaction_hash" VARCHAR(66),
    "error_reason" VARCHAR(64),
    "error_message" VARCHAR(500),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "settled_at" TIMESTAMPTZ(3),

    CONSTRAINT "settlements_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "relayers_address_key" ON "relayers"("address");

-- CreateIndex
CREATE UNIQUE INDEX "relayer_transactions_hash_key" ON "relayer_transactions"("hash");

-- CreateIndex
CREATE INDEX "relayer_transactions_status_updated_at_idx" ON "relayer_transactions"("status", "updated_at");

-- CreateIndex
CREATE UNIQUE INDEX "relayer_transactions_relayer_id_chain_id_nonce_key" ON "relayer_transactions"("relayer_id", "chain_id", "nonce");

-- CreateIndex
CREATE INDEX "settlements_status_network_asset_created_at_idx" ON "settlements"("status", "network", "asset", "created_at");

-- CreateIndex
CREATE INDEX "settlements_org_id_created_at_id_idx" ON "settlements"("org_id", "created_at", "id");

-- CreateIndex
CREATE INDEX "settlements_relayer_transaction_id_idx" ON "settlements"("relayer_transaction_id");

-- CreateIndex
CREATE INDEX "settlements_transaction_hash_idx" ON "settlements"("transaction_hash");

-- CreateIndex
CREATE UNIQUE INDEX "settlements_chain_id_asset_payer_nonce_key" ON "settlements"("chain_id", "asset", "payer", "nonce");

-- CreateIndex
CREATE INDEX "settlements_network_nonce_idx" ON "settlements"("network", "nonce");

-- CreateIndex
CREATE INDEX "payments_network_nonce_idx" ON "payments"("network", "nonce");

-- AddForeignKey
ALTER TABLE "relayer_nonces" ADD CONSTRAINT "relayer_nonces_relayer_id_fkey" FOREIGN KEY ("relayer_id") REFERENCES "relayers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "relayer_transactions" ADD CONSTRAINT "relayer_transactions_relayer_id_fkey" FOREIGN KEY ("relayer_id") REFERENCES "relayers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "settlements" ADD CONSTRAINT "settlements_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "orgs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "settlements" ADD CONSTRAINT "settlements_relayer_transaction_id_fkey" FOREIGN KEY ("relayer_transaction_id") REFERENCES "relayer_transactions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Hand-written below this line: Prisma does not model CHECK constraints.

-- Addresses and hashes are stored lowercase, so the unique authorization key cannot be dodged by
-- changing the case of a checksummed address.
ALTER TABLE "settlements"
  ADD CONSTRAINT "settlements_addresses_lowercase"
    CHECK ("asset" ~ '^0x[0-9a-f]{40}$' AND "payer" ~ '^0x[0-9a-f]{40}$' AND "pay_to" ~ '^0x[0-9a-f]{40}$'),
  ADD CONSTRAINT "settlements_nonce_bytes32"
    CHECK ("nonce" ~ '^0x[0-9a-f]{64}$'),
  ADD CONSTRAINT "settlements_amount_positive_uint256"
    CHECK ("amount" > 0 AND "amount" <= 115792089237316195423570985008687907853269984665640564039457584007913129639935),
  ADD CONSTRAINT "settlements_validity_uint256"
    CHECK ("valid_after" >= 0 AND "valid_before" > "valid_after"
      AND "valid_before" <= 115792089237316195423570985008687907853269984665640564039457584007913129639935),
  -- Once a transaction is stored for a settlement it stays attached until chain evidence ends it.
  ADD CONSTRAINT "settlements_transaction_iff_sent"
    CHECK (("status" = 'queued') = ("relayer_transaction_id" IS NULL) OR "status" IN ('failed', 'confirmed')),
  ADD CONSTRAINT "settlements_settled_iff_confirmed"
    CHECK (("settled_at" IS NOT NULL) = ("status" = 'confirmed')),
  ADD CONSTRAINT "settlements_reason_iff_failed"
    CHECK (("error_reason" IS NOT NULL) = ("status" = 'failed'));

ALTER TABLE "relayer_nonces"
  ADD CONSTRAINT "relayer_nonces_next_nonce_non_negative" CHECK ("next_nonce" >= 0);

ALTER TABLE "relayer_transactions"
  ADD CONSTRAINT "relayer_transactions_nonce_non_negative" CHECK ("nonce" >= 0),
  ADD CONSTRAINT "relayer_transactions_mined_has_block"
    CHECK (("status" IN ('mined', 'reverted')) = ("block_number" IS NOT NULL));

-- A settlement ends once: a confirmed or failed row never changes status again.
CREATE FUNCTION "proco_settlements_terminal_guard"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF OLD."status" IN ('confirmed', 'failed') AND NEW."status" IS DISTINCT FROM OLD."status" THEN
    RAISE EXCEPTION 'settlement % is already %', OLD."id", OLD."status"
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER "settlements_terminal_guard"
  BEFORE UPDATE OF "status" ON "settlements"
  FOR EACH ROW EXECUTE FUNCTION "proco_settlements_terminal_guard"();
