-- CreateEnum
CREATE TYPE "api_key_scope" AS ENUM ('admin', 'read');

-- CreateEnum
CREATE TYPE "agent_status" AS ENUM ('active', 'frozen');

-- CreateTable
CREATE TABLE "orgs" (
    "id" UUID NOT NULL,
    "name" VARCHAR(200) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "orgs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "operator_api_keys" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "name" VARCHAR(200) NOT NULL,
    "prefix" VARCHAR(32) NOT NULL,
    "secret_digest" BYTEA NOT NULL,
    "scope" "api_key_scope" NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "operator_api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "agents" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "name" VARCHAR(200) NOT NULL,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "status" "agent_status" NOT NULL DEFAULT 'active',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "agents_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "agent_tokens" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "agent_id" UUID NOT NULL,
    "name" VARCHAR(200) NOT NULL,
    "prefix" VARCHAR(32) NOT NULL,
    "secret_digest" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "agent_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "wallets" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "agent_id" UUID NOT NULL,
    "address" VARCHAR(42) NOT NULL,
    "key_ciphertext" BYTEA NOT NULL,
    "data_key_ciphertext" BYTEA NOT NULL,
    "kek_id" VARCHAR(64) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "rewrapped_at" TIMESTAMPTZ(3),

    CONSTRAINT "wallets_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "networks" (
    "id" VARCHAR(64) NOT NULL,
    "chain_id" INTEGER NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "confirmations" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "networks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "assets" (
    "network_id" VARCHAR(64) NOT NULL,
    "address" VARCHAR(42) NOT NULL,
    "symbol" VARCHAR(32) NOT NULL,
    "decimals" INTEGER NOT NULL,
    "domain_name" VARCHAR(100) NOT NULL,
    "domain_version" VARCHAR(32) NOT NULL,
    "verified_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "assets_pkey" PRIMARY KEY ("network_id","address")
);

-- CreateTable
CREATE TABLE "audit_events" (
    "chain" VARCHAR(64) NOT NULL,
    "sequence" BIGINT NOT NULL,
    "org_id" UUID,
    "actor_type" VARCHAR(32) NOT NULL,
    "actor_id" VARCHAR(64),
    "action" VARCHAR(100) NOT NULL,
    "subject_type" VARCHAR(32) NOT NULL,
    "subject_id" VARCHAR(64),
    "data" JSONB NOT NULL DEFAULT '{}',
    "request_id" VARCHAR(100),
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "previous_hash" BYTEA NOT NULL,
    "hash" BYTEA NOT NULL,

    CONSTRAINT "audit_events_pkey" PRIMARY KEY ("chain","sequence")
);

-- CreateIndex
CREATE UNIQUE INDEX "operator_api_keys_secret_digest_key" ON "operator_api_keys"("secret_digest");

-- CreateIndex
CREATE INDEX "operator_api_keys_org_id_created_at_idx" ON "operator_api_keys"("org_id", "created_at");

-- CreateIndex
CREATE INDEX "agents_org_id_created_at_id_idx" ON "agents"("org_id", "created_at", "id");

-- CreateIndex
CREATE UNIQUE INDEX "agents_org_id_id_key" ON "agents"("org_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "agent_tokens_secret_digest_key" ON "agent_tokens"("secret_digest");

-- CreateIndex
CREATE INDEX "agent_tokens_agent_id_idx" ON "agent_tokens"("agent_id");

-- CreateIndex
CREATE UNIQUE INDEX "wallets_agent_id_key" ON "wallets"("agent_id");

-- CreateIndex
CREATE UNIQUE INDEX "wallets_address_key" ON "wallets"("address");

-- CreateIndex
CREATE INDEX "wallets_kek_id_idx" ON "wallets"("kek_id");

-- CreateIndex
CREATE UNIQUE INDEX "wallets_org_id_agent_id_key" ON "wallets"("org_id", "agent_id");

-- CreateIndex
CREATE UNIQUE INDEX "networks_chain_id_key" ON "networks"("chain_id");

-- CreateIndex
CREATE UNIQUE INDEX "audit_events_hash_key" ON "audit_events"("hash");

-- AddForeignKey
ALTER TABLE "operator_api_keys" ADD CONSTRAINT "operator_api_keys_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "orgs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "agents" ADD CONSTRAINT "agents_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "orgs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "agent_tokens" ADD CONSTRAINT "agent_tokens_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "orgs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "agent_tokens" ADD CONSTRAINT "agent_tokens_org_id_agent_id_fkey" FOREIGN KEY ("org_id", "agent_id") REFERENCES "agents"("org_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "wallets" ADD CONSTRAINT "wallets_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "orgs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "wallets" ADD CONSTRAINT "wallets_org_id_agent_id_fkey" FOREIGN KEY ("org_id", "agent_id") REFERENCES "agents"("org_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "assets" ADD CONSTRAINT "assets_network_id_fkey" FOREIGN KEY ("network_id") REFERENCES "networks"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Hand-written below this line: Prisma does not model functions or triggers, so the schema diff
-- (`npm run db:check`, `prisma migrate diff`) ignores them and they live only in migrations.

-- audit_events is an append-only, hash-chained log: corrections are new events, never edits.
-- One statement-level trigger rejects UPDATE, DELETE and TRUNCATE, so it fires even when a
-- statement matches no rows and the attempt is refused before any row is touched.
CREATE FUNCTION "audit_events_reject_change"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'P0001', HINT = 'Record a new audit event instead of changing an existing one.';
END;
$$;

CREATE TRIGGER "audit_events_append_only"
BEFORE UPDATE OR DELETE OR TRUNCATE ON "audit_events"
FOR EACH STATEMENT EXECUTE FUNCTION "audit_events_reject_change"();
