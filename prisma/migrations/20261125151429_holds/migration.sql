-- CreateEnum
CREATE TYPE "hold_status" AS ENUM ('pending', 'posted', 'voided', 'expired');

-- CreateTable
CREATE TABLE "holds" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "agent_id" UUID NOT NULL,
    "payment_id" UUID NOT NULL,
    "network" VARCHAR(64) NOT NULL,
    "asset" VARCHAR(42) NOT NULL,
    "amount" DECIMAL(78,0) NOT NULL,
    "posted_amount" DECIMAL(78,0),
    "status" "hold_status" NOT NULL DEFAULT 'pending',
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "resolved_at" TIMESTAMPTZ(3),
    "resolution_reason" VARCHAR(64),

    CONSTRAINT "holds_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "holds_payment_id_key" ON "holds"("payment_id");

-- CreateIndex
CREATE INDEX "holds_org_id_network_asset_created_at_idx" ON "holds"("org_id", "network", "asset", "created_at");

-- CreateIndex
CREATE INDEX "holds_agent_id_network_asset_created_at_idx" ON "holds"("agent_id", "network", "asset", "created_at");

-- CreateIndex
CREATE INDEX "holds_status_expires_at_idx" ON "holds"("status", "expires_at");

-- AddForeignKey
ALTER TABLE "holds" ADD CONSTRAINT "holds_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "orgs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "holds" ADD CONSTRAINT "holds_org_id_agent_id_fkey" FOREIGN KEY ("org_id", "agent_id") REFERENCES "agents"("org_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Hand-written below this line: Prisma does not model CHECK constraints, triggers or functions, so
-- the schema diff (`npm run db:check`, `prisma migrate diff`) ignores them; they live only here.

-- Invariant 2 in the table itself: a positive uint256 amount, posted <= held, and the resolution
-- fields set exactly when the status says so. The store's conditional writes already keep these;
-- the constraints make any other writer (a bug, a console session) fail the same way.
ALTER TABLE "holds"
  ADD CONSTRAINT "holds_amount_positive_uint256"
    CHECK ("amount" > 0 AND "amount" <= 115792089237316195423570985008687907853269984665640564039457584007913129639935),
  ADD CONSTRAINT "holds_posted_amount_within_amount"
    CHECK ("posted_amount" IS NULL OR ("posted_amount" > 0 AND "posted_amount" <= "amount")),
  ADD CONSTRAINT "holds_posted_amount_iff_posted"
    CHECK (("status" = 'posted') = ("posted_amount" IS NOT NULL)),
  ADD CONSTRAINT "holds_resolved_at_iff_resolved"
    CHECK (("status" = 'pending') = ("resolved_at" IS NULL)),
  ADD CONSTRAINT "holds_reason_iff_voided_or_expired"
    CHECK (("status" IN ('voided', 'expired')) = ("resolution_reason" IS NOT NULL)),
  ADD CONSTRAINT "holds_expires_after_created"
    CHECK ("expires_at" > "created_at");

-- A hold resolves at most once, and only its resolution fields ever change. Holds are ledger
-- entries: never deleted (a statement trigger, so it fires even when nothing matches).
CREATE FUNCTION "holds_resolve_once"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF OLD."status" <> 'pending' THEN
    RAISE EXCEPTION 'hold % is already %: a hold resolves at most once', OLD."id", OLD."status"
      USING ERRCODE = 'P0001';
  END IF;
  IF (NEW."id", NEW."org_id", NEW."agent_id", NEW."payment_id", NEW."network", NEW."asset", NEW."amount",
      NEW."created_at", NEW."expires_at")
     IS DISTINCT FROM
     (OLD."id", OLD."org_id", OLD."agent_id", OLD."payment_id", OLD."network", OLD."asset", OLD."amount",
      OLD."created_at", OLD."expires_at") THEN
    RAISE EXCEPTION 'only the status and resolution of hold % may change', OLD."id" USING ERRCODE = 'P0001';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER "holds_resolve_once"
BEFORE UPDATE ON "holds"
FOR EACH ROW EXECUTE FUNCTION "holds_resolve_once"();

CREATE FUNCTION "holds_reject_delete"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'holds are ledger entries: % is not allowed', TG_OP
    USING ERRCODE = 'P0001', HINT = 'Void or expire the hold instead.';
END;
$$;

CREATE TRIGGER "holds_append_only"
BEFORE DELETE OR TRUNCATE ON "holds"
FOR EACH STATEMENT EXECUTE FUNCTION "holds_reject_delete"();

-- Usage of each check: pending holds count their amount, posted holds their posted amount, voided
-- and expired holds nothing; rate limits count pending and posted holds. A check is
-- {"key", "scope": "org"|"agent", "since": ISO timestamp or null (lifetime)} plus, for budgets,
-- {"network", "asset", "limitAtomic": decimal string} and, for rate limits, {"maxPayments"}.
-- Holds created at or after `since` count, with no upper bound: a hold stamped by a replica whose
-- clock runs ahead still counts (it can only deny, never overspend). One static query per scope, so
-- each uses its index: (org_id|agent_id, network, asset, created_at).
-- STABLE: its queries read the snapshot of the statement that calls it.
CREATE FUNCTION "proco_hold_usage"(
  p_org_id uuid,
  p_agent_id uuid,
  p_budget_checks jsonb,
  p_rate_limit_checks jsonb
) RETURNS TABLE ("kind" text, "ordinal" integer, "key" text, "limit_value" numeric, "used" numeric)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_check jsonb;
  v_since timestamptz;
BEGIN
  "ordinal" := 0;
  FOR v_check IN SELECT c.value FROM jsonb_array_elements(p_rate_limit_checks) AS c LOOP
    "kind" := 'rate_limit';
    "ordinal" := "ordinal" + 1;
    "key" := v_check->>'key';
    "limit_value" := (v_check->>'maxPayments')::numeric;
    v_since := COALESCE((v_check->>'since')::timestamptz, '-infinity');
    IF v_check->>'scope' = 'org' THEN
      SELECT count(*) INTO "used" FROM "holds" h
       WHERE h."org_id" = p_org_id AND h."status" IN ('pending', 'posted') AND h."created_at" >= v_since;
    ELSE
      SELECT count(*) INTO "used" FROM "holds" h
       WHERE h."agent_id" = p_agent_id AND h."status" IN ('pending', 'posted') AND h."created_at" >= v_since;
    END IF;
    RETURN NEXT;
  END LOOP;
  "ordinal" := 0;
  FOR v_check IN SELECT c.value FROM jsonb_array_elements(p_budget_checks) AS c LOOP
    "kind" := 'budget';
    "ordinal" := "ordinal" + 1;
    "key" := v_check->>'key';
    "limit_value" := (v_check->>'limitAtomic')::numeric;
    v_since := COALESCE((v_check->>'since')::timestamptz, '-infinity');
    IF v_check->>'scope' = 'org' THEN
      SELECT COALESCE(sum(CASE WHEN h."status" = 'posted' THEN h."posted_amount" ELSE h."amount" END), 0)
        INTO "used" FROM "holds" h
       WHERE h."org_id" = p_org_id AND h."network" = v_check->>'network' AND h."asset" = v_check->>'asset'
         AND h."created_at" >= v_since AND h."status" IN ('pending', 'posted');
    ELSE
      SELECT COALESCE(sum(CASE WHEN h."status" = 'posted' THEN h."posted_amount" ELSE h."amount" END), 0)
        INTO "used" FROM "holds" h
       WHERE h."agent_id" = p_agent_id AND h."network" = v_check->>'network' AND h."asset" = v_check->>'asset'
         AND h."created_at" >= v_since AND h."status" IN ('pending', 'posted');
    END IF;
    RETURN NEXT;
  END LOOP;
END;
$$;

-- Reserves a hold if every check has room, in one call (one round trip, no read-then-write).
--
-- Race freedom:
-- 1. Transaction-scoped advisory locks, always in the same order: the org's (class 1752132708,
--    'hold'), then the agent's (class 1752132709). A reserve with any org-scoped check takes the org
--    lock exclusively, others take it shared; every reserve takes its agent's lock exclusively. So
--    a reserve that checks an org budget excludes every reserve that could add to it, while agents
--    of an org without org-wide checks run in parallel. Every transaction takes at most one lock of
--    each class and always the org class first, so no two can wait for each other in a cycle: no
--    deadlock. (Two orgs or two agents whose ids hash alike share a lock: slower, never wrong.)
--    The audit append that follows in the caller's transaction takes its chain lock last.
-- 2. This function is VOLATILE and runs under READ COMMITTED (checked below), so each statement
--    in it takes a fresh snapshot: the reads after the locks see every hold committed before them,
--    including the one the previous lock holder inserted (its commit is visible before its locks
--    are released). Under REPEATABLE READ or SERIALIZABLE the snapshot would predate the lock.
-- 3. Checks, then the insert, happen while the locks are held; the locks end with the transaction
--    (with the statement itself when called in autocommit).
--
-- Returns one row: outcome ('reserved', 'replayed', 'conflict', 'rate_limit_exceeded',
-- 'budget_exceeded'), the first failing key (rate limits first, then budgets, each in the given
-- order) and every check's usage before this hold, as jsonb with decimal strings.
CREATE FUNCTION "proco_reserve_hold"(
  p_id uuid,
  p_org_id uuid,
  p_agent_id uuid,
  p_payment_id uuid,
  p_network text,
  p_asset text,
  p_amount numeric,
  p_created_at timestamptz,
  p_expires_at timestamptz,
  p_budget_checks jsonb,
  p_rate_limit_checks jsonb
) RETURNS TABLE ("outcome" text, "failed_key" text, "usage" jsonb)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_existing "holds"%ROWTYPE;
  v_failure record;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'proco_reserve_hold needs READ COMMITTED, not %', current_setting('transaction_isolation')
      USING ERRCODE = '25000';
  END IF;

  IF EXISTS (SELECT 1 FROM jsonb_array_elements(p_budget_checks || p_rate_limit_checks) AS c
              WHERE c.value->>'scope' = 'org') THEN
    PERFORM pg_advisory_xact_lock(1752132708, hashtext(p_org_id::text));
  ELSE
    PERFORM pg_advisory_xact_lock_shared(1752132708, hashtext(p_org_id::text));
  END IF;
  PERFORM pg_advisory_xact_lock(1752132709, hashtext(p_agent_id::text));

  SELECT u_json INTO "usage" FROM (
    SELECT COALESCE(jsonb_agg(jsonb_build_object(
             'kind', u."kind", 'key', u."key", 'limit', u."limit_value"::text, 'used', u."used"::text)
             ORDER BY u."kind" = 'budget', u."ordinal"), '[]'::jsonb) AS u_json
      FROM proco_hold_usage(p_org_id, p_agent_id, p_budget_checks, p_rate_limit_checks) AS u
  ) AS s;

  -- A retried reserve (same hold id or payment) returns the hold it made instead of a second one.
  SELECT * INTO v_existing FROM "holds" h WHERE h."id" = p_id OR h."payment_id" = p_payment_id LIMIT 1;
  IF FOUND THEN
    IF v_existing."id" = p_id AND v_existing."payment_id" = p_payment_id AND v_existing."org_id" = p_org_id
       AND v_existing."agent_id" = p_agent_id AND v_existing."network" = p_network
       AND v_existing."asset" = p_asset AND v_existing."amount" = p_amount THEN
      "outcome" := 'replayed';
    ELSE
      "outcome" := 'conflict';
    END IF;
    RETURN NEXT;
    RETURN;
  END IF;

  SELECT u->>'kind' AS kind, u->>'key' AS key INTO v_failure
    FROM jsonb_array_elements("usage") WITH ORDINALITY AS e(u, position)
   WHERE (u->>'used')::numeric + CASE WHEN u->>'kind' = 'budget' THEN p_amount ELSE 1 END
         > (u->>'limit')::numeric
   ORDER BY e.position
   LIMIT 1;
  IF FOUND THEN
    "outcome" := CASE WHEN v_failure.kind = 'budget' THEN 'budget_exceeded' ELSE 'rate_limit_exceeded' END;
    "failed_key" := v_failure.key;
    RETURN NEXT;
    RETURN;
  END IF;

  INSERT INTO "holds" ("id", "org_id", "agent_id", "payment_id", "network", "asset", "amount", "status",
                       "created_at", "expires_at")
  VALUES (p_id, p_org_id, p_agent_id, p_payment_id, p_network, p_asset, p_amount, 'pending',
          p_created_at, p_expires_at);
  "outcome" := 'reserved';
  RETURN NEXT;
END;
$$;
