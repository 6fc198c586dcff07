-- CreateEnum
CREATE TYPE "webhook_endpoint_status" AS ENUM ('active', 'disabled');

-- CreateEnum
CREATE TYPE "webhook_delivery_status" AS ENUM ('pending', 'delivered', 'failed');

-- CreateTable
CREATE TABLE "webhook_endpoints" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "url" VARCHAR(2048) NOT NULL,
    "description" VARCHAR(500),
    "event_types" VARCHAR(64)[],
    "status" "webhook_endpoint_status" NOT NULL DEFAULT 'active',
    "secret_ciphertext" BYTEA NOT NULL,
    "secret_data_key_ciphertext" BYTEA NOT NULL,
    "secret_kek_id" VARCHAR(64) NOT NULL,
    "previous_secret_ciphertext" BYTEA,
    "previous_secret_data_key_ciphertext" BYTEA,
    "previous_secret_kek_id" VARCHAR(64),
    "previous_secret_expires_at" TIMESTAMPTZ(3),
    "start_sequence" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "rewrapped_at" TIMESTAMPTZ(3),

    CONSTRAINT "webhook_endpoints_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_deliveries" (
    "id" UUID NOT NULL,
    "endpoint_id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "event_id" VARCHAR(100) NOT NULL,
    "event_type" VARCHAR(64) NOT NULL,
    "audit_sequence" BIGINT,
    "payload" JSONB NOT NULL,
    "status" "webhook_delivery_status" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "attempts_left" INTEGER NOT NULL,
    "next_attempt_at" TIMESTAMPTZ(3),
    "locked_until" TIMESTAMPTZ(3),
    "last_status_code" INTEGER,
    "last_error" VARCHAR(500),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "delivered_at" TIMESTAMPTZ(3),

    CONSTRAINT "webhook_deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_attempts" (
    "delivery_id" UUID NOT NULL,
    "attempt" INTEGER NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "duration_ms" INTEGER NOT NULL,
    "status_code" INTEGER,
    "error" VARCHAR(500),

    CONSTRAINT "webhook_attempts_pkey" PRIMARY KEY ("delivery_id","attempt")
);

-- CreateTable
CREATE TABLE "webhook_cursors" (
    "org_id" UUID NOT NULL,
    "last_sequence" BIGINT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_cursors_pkey" PRIMARY KEY ("org_id")
);

-- CreateIndex
CREATE INDEX "webhook_endpoints_org_id_created_at_id_idx" ON "webhook_endpoints"("org_id", "created_at", "id");

-- CreateIndex
CREATE INDEX "webhook_endpoints_secret_kek_id_idx" ON "webhook_endpoints"("secret_kek_id");

-- CreateIndex
CREATE INDEX "webhook_deliveries_endpoint_id_created_at_id_idx" ON "webhook_deliveries"("endpoint_id", "created_at", "id");

-- CreateIndex
CREATE INDEX "webhook_deliveries_status_next_attempt_at_idx" ON "webhook_deliveries"("status", "next_attempt_at");

-- CreateIndex
CREATE INDEX "webhook_deliveries_created_at_idx" ON "webhook_deliveries"("created_at");

-- CreateIndex
CREATE UNIQUE INDEX "webhook_deliveries_endpoint_id_event_id_key" ON "webhook_deliveries"("endpoint_id", "event_id");

-- AddForeignKey
ALTER TABLE "webhook_endpoints" ADD CONSTRAINT "webhook_endpoints_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "orgs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_endpoint_id_fkey" FOREIGN KEY ("endpoint_id") REFERENCES "webhook_endpoints"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_attempts" ADD CONSTRAINT "webhook_attempts_delivery_id_fkey" FOREIGN KEY ("delivery_id") REFERENCES "webhook_deliveries"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Hand-written below this line: Prisma does not model CHECK constraints.

-- Prisma lists are nullable columns; an endpoint always names what it receives (`*` for all).
ALTER TABLE "webhook_endpoints"
  ADD CONSTRAINT "webhook_endpoints_event_types_present"
    CHECK ("event_types" IS NOT NULL AND cardinality("event_types") BETWEEN 1 AND 32),
  ADD CONSTRAINT "webhook_endpoints_url_http"
    CHECK ("url" ~ '^https?://'),
  ADD CONSTRAINT "webhook_endpoints_start_sequence_non_negative"
    CHECK ("start_sequence" >= 0),
  -- The previous secret is whole or absent, and it always has an end.
  ADD CONSTRAINT "webhook_endpoints_previous_secret_whole"
    CHECK (("previous_secret_ciphertext" IS NULL) = ("previous_secret_data_key_ciphertext" IS NULL)
       AND ("previous_secret_ciphertext" IS NULL) = ("previous_secret_kek_id" IS NULL)
       AND ("previous_secret_ciphertext" IS NULL) = ("previous_secret_expires_at" IS NULL));

ALTER TABLE "webhook_deliveries"
  ADD CONSTRAINT "webhook_deliveries_attempts_non_negative"
    CHECK ("attempts" >= 0 AND "attempts_left" >= 0),
  -- Only a pending delivery has a next attempt; only a delivered one a delivery time.
  ADD CONSTRAINT "webhook_deliveries_next_attempt_iff_pending"
    CHECK (("next_attempt_at" IS NOT NULL) = ("status" = 'pending')),
  ADD CONSTRAINT "webhook_deliveries_delivered_at_iff_delivered"
    CHECK (("delivered_at" IS NOT NULL) = ("status" = 'delivered'));

ALTER TABLE "webhook_attempts"
  ADD CONSTRAINT "webhook_attempts_attempt_positive" CHECK ("attempt" >= 1),
  ADD CONSTRAINT "webhook_attempts_duration_non_negative" CHECK ("duration_ms" >= 0),
  ADD CONSTRAINT "webhook_attempts_status_code_http"
    CHECK ("status_code" IS NULL OR "status_code" BETWEEN 100 AND 599);

ALTER TABLE "webhook_cursors"
  ADD CONSTRAINT "webhook_cursors_last_sequence_non_negative" CHECK ("last_sequence" >= 0);
