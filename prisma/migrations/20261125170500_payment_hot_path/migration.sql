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
-- the application's latency. Prisma does not model functions: the schema diff ignores this file.

-- Why the payment row is inserted after the hold rather than first: a denial must leave nothing
-- behind (a denial has no effect, so a retry under the same key is evaluated afresh), and a
-- plpgsql function cannot undo an earlier statement of its own without an exception block (a
-- subtransaction on every call). Inserting last means only the rare twin race has something to
-- undo, and it does so by raising, which aborts the whole statement.

-- Policy pointers are read after `proco_reserve_hold` has taken the org's hold lock. A policy write
-- takes the same lock exclusively before it moves a pointer (PoliciesService), so a payment is
-- either serialised before the change (and evaluated under the old versions) or sees the new
-- pointer here and is refused with SQLSTATE PR001, to be evaluated again by the caller.

-- Outcomes (first column): 'reserved'; 'key_taken' (`existing_payment_id` names the payment that
-- holds the key); 'agent_not_found', 'agent_frozen', 'wallet_not_found', 'wallet_changed' (the
-- agent's wallet is not the address the caller signs for); 'budget_exceeded' and
-- 'rate_limit_exceeded' with the failing key and the usage the reserve read (nothing written).
-- Raised: PR001 (a policy pointer moved), PR002 (a twin inserted the key while this call
-- reserved; everything this statement wrote is rolled back).
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
  v_org_version integer;
  v_agent_version integer;
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

  SELECT a."status", w."address" INTO v_status, v_wallet
    FROM "agents" a LEFT JOIN "wallets" w ON w."agent_id" = a."id"
   WHERE a."id" = v_payment."agent_id" AND a."org_id" = v_payment."org_id";
  IF NOT FOUND THEN
    "outcome" := 'agent_not_found'; RETURN NEXT; RETURN;
  ELSIF v_status <> 'active' THEN
    "outcome" := 'agent_frozen'; RETURN NEXT; RETURN;
  ELSIF v_wallet IS NULL THEN
    "outcome" := 'wallet_not_found'; RETURN NEXT; RETURN;
  ELSIF lower(v_wallet) <> lower(p_expected_wallet) THEN
    "outcome" := 'wallet_changed'; RETURN NEXT; RETURN;
  END IF;

  SELECT r.* INTO v_reserve
    FROM "proco_reserve_hold"(
      (p_payment->>'hold_id')::uuid, v_payment."org_id", v_payment."agent_id", v_payment."id",
      v_payment."network", lower(v_payment."asset"), v_payment."amount", NULL, p_hold_expires_at,
      p_budget_checks, p_rate_limit_checks) AS r;
  -- Checked whatever the reserve answered: a denial under stale limits is as wrong as a hold.
  SELECT
    (SELECT p."current_version" FROM "policies" p WHERE p."org_id" = v_payment."org_id" AND p."target" = 'org'),
    (SELECT p."current_version" FROM "policies" p
      WHERE p."org_id" = v_payment."org_id" AND p."target" = v_payment."agent_id"::text)
    INTO v_org_version, v_agent_version;
  IF v_org_version IS DISTINCT FROM (p_policy_versions->>'org')::integer
     OR v_agent_version IS DISTINCT FROM (p_policy_versions->>'agent')::integer THEN
    RAISE EXCEPTION 'policy of agent % changed while paying', v_payment."agent_id" USING ERRCODE = 'PR001';
  END IF;

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

  PERFORM "proco_audit_append"(e.value) FROM jsonb_array_elements(p_audit) AS e;

  "outcome" := 'reserved';
  "usage" := v_reserve."usage";
  "hold_created_at" := v_reserve."created_at";
  RETURN NEXT;
END;
$$;

-- Moves an `authorizing` payment to its final state with its stored answer and audit events.
-- False when the payment had already left `authorizing` (the stuck-payment sweeper failed it):
-- nothing is written then.
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
   WHERE "id" = p_payment_id AND "status" = 'authorizing';
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  PERFORM "proco_audit_append"(e.value) FROM jsonb_array_elements(p_audit) AS e;
  RETURN true;
END;
$$;
