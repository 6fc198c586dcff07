-- CreateEnum
CREATE TYPE "receipt_signing_key_status" AS ENUM ('active', 'retired');

-- CreateTable
CREATE TABLE "receipt_signing_keys" (
    "kid" VARCHAR(64) NOT NULL,
    "algorithm" VARCHAR(16) NOT NULL,
    "public_jwk" JSONB NOT NULL,
    "private_key_ciphertext" BYTEA NOT NULL,
    "data_key_ciphertext" BYTEA NOT NULL,
    "kek_id" VARCHAR(64) NOT NULL,
    "status" "receipt_signing_key_status" NOT NULL DEFAULT 'active',
    "active_slot" BOOLEAN,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "retired_at" TIMESTAMPTZ(3),
    "publish_until" TIMESTAMPTZ(3),
    "rewrapped_at" TIMESTAMPTZ(3),

    CONSTRAINT "receipt_signing_keys_pkey" PRIMARY KEY ("kid")
);

-- CreateIndex
CREATE UNIQUE INDEX "receipt_signing_keys_active_slot_key" ON "receipt_signing_keys"("active_slot");

-- CreateIndex
CREATE INDEX "receipt_signing_keys_status_publish_until_idx" ON "receipt_signing_keys"("status", "publish_until");

-- CreateIndex
CREATE INDEX "receipt_signing_keys_kek_id_idx" ON "receipt_signing_keys"("kek_id");
