-- CreateEnum
CREATE TYPE "policy_level" AS ENUM ('org', 'agent');

-- CreateTable
CREATE TABLE "policies" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "level" "policy_level" NOT NULL,
    "agent_id" UUID,
    "target" VARCHAR(64) NOT NULL,
    "current_version" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "policies_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "policy_versions" (
    "policy_id" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "org_id" UUID NOT NULL,
    "document" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by" VARCHAR(64),

    CONSTRAINT "policy_versions_pkey" PRIMARY KEY ("policy_id","version")
);

-- CreateIndex
CREATE UNIQUE INDEX "policies_org_id_target_key" ON "policies"("org_id", "target");

-- AddForeignKey
ALTER TABLE "policies" ADD CONSTRAINT "policies_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "orgs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "policies" ADD CONSTRAINT "policies_org_id_agent_id_fkey" FOREIGN KEY ("org_id", "agent_id") REFERENCES "agents"("org_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "policy_versions" ADD CONSTRAINT "policy_versions_policy_id_fkey" FOREIGN KEY ("policy_id") REFERENCES "policies"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Hand-written below this line: Prisma does not model triggers, so the schema diff ignores them.

-- A policy version is a record of what was in force; a change is a new version, never an edit.
CREATE FUNCTION "policy_versions_reject_change"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'policy_versions is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'P0001', HINT = 'Set the policy again to create a new version.';
END;
$$;

CREATE TRIGGER "policy_versions_append_only"
BEFORE UPDATE OR DELETE OR TRUNCATE ON "policy_versions"
FOR EACH STATEMENT EXECUTE FUNCTION "policy_versions_reject_change"();
