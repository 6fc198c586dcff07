-- AlterTable
ALTER TABLE "payments" ADD COLUMN     "requirement_index" INTEGER;

-- CreateIndex
CREATE INDEX "payments_agent_id_created_at_id_idx" ON "payments"("agent_id", "created_at", "id");

-- Hand-written below this line.

-- The purchase hot path as two statements: `proco_begin_payment` (checks, hold, payment row, audit)
-- before the signature and `proco_finish_payment` (final state, stored answer, audit) after it.
-- Each runs as one autocommit statement, so the locks it takes (the hold locks of
-- `proco_reserve_hold`, the audit chain head's row lock) are held for the statement alone, never
-- across a network round trip: concurrent payments of one org queue for microseconds, not for
-- the application's latency. An operator's approval takes the same path through
-- `proco_begin_approved_payment`. Prisma does not model functions: the schema diff ignores this.

-- Why the payment row is inserted after the hold rather than first: a denial must leave nothing
-- behind (a denial has no effect, so a retry under the same key is evaluated afresh), and a
-- plpgsql function cannot undo an earlier statement of its own without an exception block (a
-- subtransaction on every call). Inserting last means only the rare races have something to
-- undo, and they do so by raising, which aborts the whole statement.

-- Raised (the whole statement is rolled back):
--   PR001  a policy pointer moved since the decision was made: decide again;
--   PR002  a twin inserted the idempotency key while this call reserved: replay the twin;
--   PR003  the agent was frozen (or its wallet changed) while this call waited for the locks;
--   PR004  an approval lost its claim: the payment was no longer waiting for approval.

-- What must hold once the hold locks are taken, and only then: the agent is still active with the
-- wallet the authorization names (its row is share-locked, so a freeze waits for this transaction
-- and is ordered after it), and the policies are the versions the decision was made under. A
-- policy write takes the org's hold lock exclusively before it moves a pointer (PoliciesService),
-- so a decision is either ordered before the change or sees it here.
CREATE FUNCTION "proco_confirm_payer"(
  p_org_id uuid,
  p_agent_id uuid,
  p_expected_wallet text,
  p_policy_versions jsonb
) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_status "agent_status";
  v_wallet text;
  v_org_version integer;
  v_agent_version integer;
BEGIN
  SELECT a."status" INTO v_status FROM "agents" a
   WHERE a."id" = p_agent_id AND a."org_id" = p_org_id
     FOR SHARE;
  SELECT w."address" INTO v_wallet FROM "wallets" w WHERE w."agent_id" = p_agent_id;
  IF v_status IS DISTINCT FROM 'active' OR lower(v_wallet) IS DISTINCT FROM lower(p_expected_wallet) THEN
    RAISE EXCEPTION 'agent % is no longer an active payer for %', p_agent_id, p_expected_wallet
      USING ERRCODE = 'PR003';
  END IF;
  SELECT
    (SELECT p."current_version" FROM "policies" p WHERE p."org_id" = p_org_id AND p."target" = 'org'),
    (SELECT p."current_version" FROM "policies" p WHERE p."org_id" = p_org_id AND p."target" = p_agent_id::text)
    INTO v_org_version, v_agent_version;
  IF v_org_version IS DISTINCT FROM (p_policy_versions->>'org')::integer
     OR v_agent_version IS DISTINCT FROM (p_policy_versions->>'agent')::integer THEN
    RAISE EXCEPTION 'policy of agent % changed while paying', p_agent_id USING ERRCODE = 'PR001';
  END IF;
END;
$$;

-- Every audited write of this file appends at least one event; an empty list is a caller's bug.
CREATE FUNCTION "proco_append_audit_events"(p_audit jsonb) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF jsonb_typeof(p_audit) IS DISTINCT FROM 'array' OR jsonb_array_length(p_audit) = 0 THEN
    RAISE EXCEPTION 'audit events must be a non-empty JSON array' USING ERRCODE = '22023';
  END IF;
  PERFORM "proco_audit_append"(e.value) FROM jsonb_array_elements(p_audit) AS e;
END;
$$;

-- Outcomes (first column): 'reserved'; 'key_taken' (`existing_payment_id` names the payment that
-- holds the key); 'agent_not_found', 'agent_frozen', 'wallet_not_found', 'wallet_changed' (the
-- agent's wallet is not the address the caller signs for); 'budget_exceeded' and
-- 'rate_limit_exceeded' with the failing key and the usage the reserve read (nothing written).
CREATE FUNCTION "proco_begin_payment"(
  p_payment jsonb,
  p_request_hash bytea,
  p_expected_wallet text,
  p_policy_versions jsonb,
  p_budget_checks jsonb,
  p_rate_limit_checks jsonb,
  p_hold_expires_at timestamptz,
  p_retention_seconds integer,
  p_audit jsonb
) RETURNS TABLE (
  "outcome" text,
  "failed_key" text,
  "usage" jsonb,
  "hold_created_at" timestamptz,
  "existing_payment_id" uuid
)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_payment "payments"%ROWTYPE;
  v_status "agent_status";
  v_wallet text;
  v_reserve record;
BEGIN
  v_payment := jsonb_populate_record(NULL::"payments", p_payment);

  -- The common replay, answered first and before any lock: a key already used keeps its outcome
  -- even if the agent was frozen since. A twin that commits after this read is caught by the
  -- insert below.
  SELECT p."id" INTO "existing_payment_id" FROM "payments" p
   WHERE p."agent_id" = v_payment."agent_id" AND p."idempotency_key" = v_payment."idempotency_key";
  IF FOUND THEN
    "outcome" := 'key_taken'; RETURN NEXT; RETURN;
  END IF;

  -- Cheap refusals before any lock; `proco_confirm_payer` checks again under the locks.
  SELECT a."status", w."address" INTO v_status, v_wallet
    FROM "agents" a LEFT JOIN "wallets" w ON w."agent_id" = a."id"
   WHERE a."id" = v_payment."agent_id" AND a."org_id" = v_payment."org_id";
  IF NOT FOUND THEN
    "outcome" := 'agent_not_found'; RETURN NEXT; RETURN;
  ELSIF v_status <> 'active' THEN
    "outcome" := 'agent_frozen'; RETURN NEXT; RETURN;
  ELSIF v_wallet IS NULL THEN
    "outcome" := 'wallet_not_found'; RETURN NEXT; RETURN;
  ELSIF lower(v_wallet) IS DISTINCT FROM lower(p_expected_wallet) THEN
    "outcome" := 'wallet_changed'; RETURN NEXT; RETURN;
  END IF;

  SELECT r.* INTO v_reserve
    FROM "proco_reserve_hold"(
      (p_payment->>'hold_id')::uuid, v_payment."org_id", v_payment."agent_id", v_payment."id",
      v_payment."network", lower(v_payment."asset"), v_payment."amount", NULL, p_hold_expires_at,
      p_budget_checks, p_rate_limit_checks) AS r;
  -- Confirmed whatever the reserve answered: a denial under stale limits is as wrong as a hold.
  PERFORM "proco_confirm_payer"(v_payment."org_id", v_payment."agent_id", p_expected_wallet, p_policy_versions);

  IF v_reserve."outcome" IN ('budget_exceeded', 'rate_limit_exceeded') THEN
    "outcome" := v_reserve."outcome";
    "failed_key" := v_reserve."failed_key";
    "usage" := v_reserve."usage";
    RETURN NEXT; RETURN;
  ELSIF v_reserve."outcome" <> 'reserved' THEN
    -- The hold id is derived from a payment id minted for this call: a replay or conflict here
    -- means a caller reused one.
    RAISE EXCEPTION 'hold for payment % was %', v_payment."id", v_reserve."outcome" USING ERRCODE = 'P0001';
  END IF;

  INSERT INTO "payments" ("id", "org_id", "agent_id", "idempotency_key", "request_hash", "status",
                          "resource_url", "method", "network", "asset", "pay_to", "amount", "nonce",
                          "valid_after", "valid_before", "decision", "created_at", "updated_at",
                          "expires_at")
  VALUES (v_payment."id", v_payment."org_id", v_payment."agent_id", v_payment."idempotency_key",
          p_request_hash, 'authorizing', v_payment."resource_url", v_payment."method",
          v_payment."network", v_payment."asset", v_payment."pay_to", v_payment."amount",
          v_payment."nonce", v_payment."valid_after", v_payment."valid_before", v_payment."decision",
          v_reserve."created_at", v_reserve."created_at",
          v_reserve."created_at" + make_interval(secs => p_retention_seconds))
  ON CONFLICT ("agent_id", "idempotency_key") DO NOTHING;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'idempotency key of agent % was taken while paying', v_payment."agent_id"
      USING ERRCODE = 'PR002';
  END IF;

  PERFORM "proco_append_audit_events"(p_audit);

  "outcome" := 'reserved';
  "usage" := v_reserve."usage";
  "hold_created_at" := v_reserve."created_at";
  RETURN NEXT;
END;
$$;

-- An approval's reserve: the held payment (`pending_approval`) gets its hold and moves to
-- `authorizing` with its nonce and validity fixed, under the same confirmation as a purchase.
-- Outcomes: 'reserved', or 'budget_exceeded' / 'rate_limit_exceeded' with the failing key and the
-- usage read (nothing written). Raised: PR001, PR003, and PR004 when the payment is no longer
-- waiting for approval (a concurrent decision took it; everything here is rolled back).
CREATE FUNCTION "proco_begin_approved_payment"(
  p_payment jsonb,
  p_expected_wallet text,
  p_policy_versions jsonb,
  p_budget_checks jsonb,
  p_rate_limit_checks jsonb,
  p_hold_expires_at timestamptz,
  p_audit jsonb
) RETURNS TABLE ("outcome" text, "failed_key" text, "usage" jsonb, "hold_created_at" timestamptz)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_payment "payments"%ROWTYPE;
  v_reserve record;
BEGIN
  v_payment := jsonb_populate_record(NULL::"payments", p_payment);
  SELECT r.* INTO v_reserve
    FROM "proco_reserve_hold"(
      (p_payment->>'hold_id')::uuid, v_payment."org_id", v_payment."agent_id", v_payment."id",
      v_payment."network", lower(v_payment."asset"), v_payment."amount", NULL, p_hold_expires_at,
      p_budget_checks, p_rate_limit_checks) AS r;
  PERFORM "proco_confirm_payer"(v_payment."org_id", v_payment."agent_id", p_expected_wallet, p_policy_versions);
  IF v_reserve."outcome" IN ('budget_exceeded', 'rate_limit_exceeded') THEN
    "outcome" := v_reserve."outcome";
    "failed_key" := v_reserve."failed_key";
    "usage" := v_reserve."usage";
    RETURN NEXT; RETURN;
  ELSIF v_reserve."outcome" <> 'reserved' THEN
    -- The hold id is derived from the payment id: a hold already there was reserved by a concurrent
    -- approval of the same payment, which claimed it.
    RAISE EXCEPTION 'payment % was already approved (hold %)', v_payment."id", v_reserve."outcome"
      USING ERRCODE = 'PR004';
  END IF;

  UPDATE "payments"
     SET "status" = 'authorizing', "nonce" = v_payment."nonce", "valid_after" = v_payment."valid_after",
         "valid_before" = v_payment."valid_before", "decision" = v_payment."decision",
         "response" = NULL, "response_status" = NULL, "updated_at" = v_reserve."created_at"
   WHERE "id" = v_payment."id" AND "org_id" = v_payment."org_id" AND "agent_id" = v_payment."agent_id"
     AND "network" = v_payment."network" AND lower("asset") = lower(v_payment."asset")
     AND "amount" = v_payment."amount" AND "status" = 'pending_approval';
  IF NOT FOUND THEN
    RAISE EXCEPTION 'payment % is no longer waiting for approval', v_payment."id" USING ERRCODE = 'PR004';
  END IF;

  PERFORM "proco_append_audit_events"(p_audit);

  "outcome" := 'reserved';
  "usage" := v_reserve."usage";
  "hold_created_at" := v_reserve."created_at";
  RETURN NEXT;
END;
$$;

-- Moves an `authorizing` payment to its final state with its stored answer and audit events.
-- False when nothing may change: the payment had already left `authorizing` (the stuck-payment
-- sweeper failed it), or, for an authorization, its hold is no longer pending (a signature is
-- only handed out while the budget it spends is still reserved).
CREATE FUNCTION "proco_finish_payment"(
  p_payment_id uuid,
  p_status "payment_status",
  p_decision jsonb,
  p_response text,
  p_response_status integer,
  p_audit jsonb
) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  UPDATE "payments"
     SET "status" = p_status, "decision" = p_decision, "response" = p_response,
         "response_status" = p_response_status, "updated_at" = clock_timestamp()
   WHERE "id" = p_payment_id AND "status" = 'authorizing'
     AND (p_status <> 'authorized'
          OR EXISTS (SELECT 1 FROM "holds" h WHERE h."payment_id" = p_payment_id AND h."status" = 'pending'));
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  PERFORM "proco_append_audit_events"(p_audit);
  RETURN true;
END;
$$;

-- Agent policies are keyed by the agent's id as text; ids are stored lowercase everywhere, and a
-- target written in another case would never match a purchase. Earlier writes are normalised
-- where that creates no duplicate.
UPDATE "policies" p SET "target" = lower(p."target")
 WHERE p."target" <> lower(p."target")
   AND NOT EXISTS (SELECT 1 FROM "policies" q WHERE q."org_id" = p."org_id" AND q."target" = lower(p."target"));
