-- CreateEnum
CREATE TYPE "hold_usage_scope" AS ENUM ('org', 'agent');

-- CreateEnum
CREATE TYPE "hold_usage_granularity" AS ENUM ('minute', 'hour', 'day', 'lifetime');

-- CreateTable
CREATE TABLE "hold_usage_buckets" (
    "scope_id" UUID NOT NULL,
    "scope" "hold_usage_scope" NOT NULL,
    "granularity" "hold_usage_granularity" NOT NULL,
    "network" VARCHAR(64) NOT NULL,
    "asset" VARCHAR(42) NOT NULL,
    "bucket_start" TIMESTAMPTZ(3) NOT NULL,
    "amount" DECIMAL(78,0) NOT NULL,
    "payments" BIGINT NOT NULL,

    CONSTRAINT "hold_usage_buckets_pkey" PRIMARY KEY ("scope_id","scope","granularity","network","asset","bucket_start")
);

-- Hand-written below this line: Prisma does not model CHECK constraints, storage parameters,
-- triggers or functions, so the schema diff (`npm run db:check`) ignores them; they live only here.

-- Usage buckets: what `proco_hold_usage` reads instead of scanning every hold of a window.
--
-- A bucket is (scope, scope_id, network, asset, granularity, bucket_start): the holds of one org
-- (scope 'org') or one agent (scope 'agent') in one network and asset, created in one UTC minute,
-- hour or day starting at bucket_start, plus one 'lifetime' row per (scope, network, asset) whose
-- bucket_start is fixed at the epoch (a key, not an instant). `amount` is what budgets count (a
-- pending hold its amount, a posted hold its posted amount, a voided or expired hold nothing) and
-- `payments` what rate limits count (1 per pending or posted hold). The statement triggers on
-- `holds` below keep every row equal to that sum over its holds, in the same transaction as the
-- change, so any snapshot sees a hold and its bucket deltas together or neither.
--
-- Why a dedicated lifetime row rather than summing every day bucket: a lifetime budget then costs
-- one row read however old the agent is (day buckets grow by one row a day per scope and asset,
-- forever), and the lifetime rows are also the directory of the (network, asset) pairs a scope
-- has ever used, which rate limits (counted across every network and asset) iterate over. It
-- costs two more row writes per hold change, on rows the same transaction already serialises on.
--
-- Bucket starts are UTC-aligned. What the counts must satisfy (never negative, money counted
-- exactly when payments are, since every counted hold has a positive amount) is asserted by the
-- trigger on the rows it leaves behind: a CHECK constraint would be evaluated on the delta row an
-- upsert proposes (negative when a hold is voided) before it is added to the stored one.
ALTER TABLE "hold_usage_buckets"
  ADD CONSTRAINT "hold_usage_buckets_start_aligned" CHECK (
    CASE "granularity"
      WHEN 'lifetime' THEN "bucket_start" = 'epoch'::timestamptz
      ELSE "bucket_start" = date_trunc("granularity"::text, "bucket_start", 'UTC')
    END);

-- The current minute, hour, day and lifetime rows of a busy scope are rewritten by every hold
-- change; free space on each page lets those updates stay on the page (HOT, no index writes).
ALTER TABLE "hold_usage_buckets" SET (fillfactor = 50);

-- What one hold adds to (p_sign = 1) or removes from (p_sign = -1) the buckets: eight rows, one
-- per scope (its org, its agent) and granularity. Bucket starts come from date_trunc at 'UTC',
-- never the session TimeZone, so every session and replica puts a hold in the same buckets.
CREATE FUNCTION "proco_hold_usage_deltas"(p_hold "holds", p_sign integer)
RETURNS SETOF "hold_usage_buckets"
LANGUAGE sql STABLE AS $$
  SELECT s."scope_id", s."scope", g."granularity", p_hold."network", p_hold."asset",
         CASE WHEN g."granularity" = 'lifetime' THEN 'epoch'::timestamptz
              ELSE date_trunc(g."granularity"::text, p_hold."created_at", 'UTC') END,
         p_sign * CASE p_hold."status" WHEN 'pending' THEN p_hold."amount"
                                       WHEN 'posted' THEN p_hold."posted_amount"
                                       ELSE 0 END,
         (p_sign * CASE WHEN p_hold."status" IN ('pending', 'posted') THEN 1 ELSE 0 END)::bigint
    FROM (VALUES (p_hold."org_id", 'org'::"hold_usage_scope"),
                 (p_hold."agent_id", 'agent'::"hold_usage_scope")) AS s("scope_id", "scope")
   CROSS JOIN unnest(enum_range(NULL::"hold_usage_granularity")) AS g("granularity")
$$;

-- Keeps the buckets exact: one statement-level trigger per event, reading the statement's
-- transition tables, so a multi-row UPDATE (the expiry sweep expires a batch at once) applies its
-- deltas in one upsert, however many holds it touched. An UPDATE counts its new rows minus its old
-- rows (keys come from the rows themselves, so even a changed key would move the counts right);
-- deltas are summed per bucket and buckets whose delta is zero (a post of the full amount) are not
-- written at all.
--
-- Deadlock freedom. The upsert locks its bucket rows one by one in the order of the primary key
-- (ORDER BY below; PostgreSQL's INSERT consumes its SELECT in order), the same total order in every
-- statement. Every writer of holds takes its locks in one global order of classes:
--   1. the hold advisory locks of `proco_reserve_hold`: the org's, then the agent's (reserves only);
--   2. `holds` rows: the row a reserve inserts (a unique-index wait behind a twin insert), the row a
--      post or void updates, the rows a sweep claims (FOR UPDATE SKIP LOCKED: it never waits);
--   3. bucket rows, in primary-key order, by the one statement of the transaction that changes holds;
--   4. audit chain locks (the audit append that follows the change; sweeps append in org order).
-- Each transaction that changes holds does so in ONE statement and appends its audit events after
-- it, so it never waits for a resource of an earlier class, or an earlier bucket, than one it
-- holds: no cycle of waits can form, between sweeps, reserves, posts and voids alike. Reads of the
-- buckets (`proco_hold_usage`) take no row locks and never wait. A transaction that changed holds
-- in two statements could lock buckets out of order; keep one statement per transaction (a
-- deadlock would still only abort it, and the store retries it, but nothing here needs it).
-- `proco_begin_payment` (reserve, then the payment row, then its audit events) keeps this order.
--
-- The rows the upsert leaves are checked (never negative, money iff payments): a drift between
-- buckets and holds fails the write that would reveal it instead of skewing a budget.
CREATE FUNCTION "holds_count_usage"() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_deltas "hold_usage_buckets"[];
  v_broken bigint;
BEGIN
  IF TG_OP = 'INSERT' THEN
    v_deltas := ARRAY(
      SELECT d FROM "new_holds" h CROSS JOIN LATERAL "proco_hold_usage_deltas"(h, 1) AS d);
  ELSE
    v_deltas := ARRAY(
      SELECT d FROM "new_holds" h CROSS JOIN LATERAL "proco_hold_usage_deltas"(h, 1) AS d
      UNION ALL
      SELECT d FROM "old_holds" h CROSS JOIN LATERAL "proco_hold_usage_deltas"(h, -1) AS d);
  END IF;
  WITH "applied" AS (
    INSERT INTO "hold_usage_buckets" AS b
           ("scope_id", "scope", "granularity", "network", "asset", "bucket_start", "amount", "payments")
    SELECT d."scope_id", d."scope", d."granularity", d."network", d."asset", d."bucket_start",
           sum(d."amount"), sum(d."payments")
      FROM unnest(v_deltas) AS d
     GROUP BY d."scope_id", d."scope", d."granularity", d."network", d."asset", d."bucket_start"
    HAVING sum(d."amount") <> 0 OR sum(d."payments") <> 0
     ORDER BY d."scope_id", d."scope", d."granularity", d."network", d."asset", d."bucket_start"
        ON CONFLICT ON CONSTRAINT "hold_usage_buckets_pkey" DO UPDATE
       SET "amount" = b."amount" + EXCLUDED."amount", "payments" = b."payments" + EXCLUDED."payments"
    RETURNING b."amount", b."payments"
  )
  SELECT count(*) INTO v_broken FROM "applied" a
   WHERE a."amount" < 0 OR a."payments" < 0 OR (a."amount" = 0) <> (a."payments" = 0);
  IF v_broken > 0 THEN
    RAISE EXCEPTION 'hold usage buckets disagree with holds (% buckets would be inconsistent)', v_broken
      USING ERRCODE = 'P0001';
  END IF;
  RETURN NULL;
END;
$$;

-- No hold may be written between the backfill's read and the triggers taking over: this lock
-- (held until the migration commits) waits for every writer in flight and blocks new ones, so the
-- backfill's snapshot, taken after it, sees every hold there will be before the triggers count.
LOCK TABLE "holds" IN SHARE ROW EXCLUSIVE MODE;

CREATE TRIGGER "holds_count_usage_on_insert"
AFTER INSERT ON "holds"
REFERENCING NEW TABLE AS "new_holds"
FOR EACH STATEMENT EXECUTE FUNCTION "holds_count_usage"();

CREATE TRIGGER "holds_count_usage_on_update"
AFTER UPDATE ON "holds"
REFERENCING OLD TABLE AS "old_holds" NEW TABLE AS "new_holds"
FOR EACH STATEMENT EXECUTE FUNCTION "holds_count_usage"();

INSERT INTO "hold_usage_buckets"
       ("scope_id", "scope", "granularity", "network", "asset", "bucket_start", "amount", "payments")
SELECT d."scope_id", d."scope", d."granularity", d."network", d."asset", d."bucket_start",
       sum(d."amount"), sum(d."payments")
  FROM "holds" h CROSS JOIN LATERAL "proco_hold_usage_deltas"(h, 1) AS d
 GROUP BY d."scope_id", d."scope", d."granularity", d."network", d."asset", d."bucket_start"
HAVING sum(d."payments") <> 0;

-- What the holds of one scope count in one network and asset from p_since on (NULL: lifetime),
-- with no upper bound: holds stamped after "now" (a clock running ahead) count too. Exact for
-- every p_since, from four disjoint ranges that tile [p_since, infinity):
--   [p_since, next minute boundary)        the holds themselves (less than a minute of them: the
--                                          one cost that grows with the scope's rate of payments);
--   [next minute, next hour boundary)      minute buckets (at most 60 rows);
--   [next hour, next day boundary)         hour buckets (at most 24 rows);
--   [next day, infinity)                   day buckets (one row per day of the window).
-- Each bucket lies wholly inside its range, since every UTC hour starts on a minute boundary and
-- every UTC day on an hour boundary. Boundaries are UTC: date_trunc at 'UTC', then fixed-length
-- steps ('24 hours', never '1 day', which the session TimeZone would stretch across a DST change).
-- STABLE: it reads the snapshot of the statement that calls it, so the holds and the buckets it
-- adds up are read from one snapshot and agree.
CREATE FUNCTION "proco_hold_scope_usage"(
  p_scope "hold_usage_scope",
  p_scope_id uuid,
  p_network text,
  p_asset text,
  p_since timestamptz
) RETURNS TABLE ("used_amount" numeric, "used_payments" bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_minute timestamptz;
  v_hour timestamptz;
  v_day timestamptz;
  v_edge_amount numeric;
  v_edge_payments bigint;
BEGIN
  IF p_since IS NULL THEN
    SELECT b."amount", b."payments" INTO "used_amount", "used_payments"
      FROM "hold_usage_buckets" b
     WHERE b."scope_id" = p_scope_id AND b."scope" = p_scope AND b."granularity" = 'lifetime'
       AND b."network" = p_network AND b."asset" = p_asset AND b."bucket_start" = 'epoch'::timestamptz;
    "used_amount" := COALESCE("used_amount", 0);
    "used_payments" := COALESCE("used_payments", 0);
    RETURN NEXT;
    RETURN;
  END IF;

  v_minute := date_trunc('minute', p_since, 'UTC');
  IF v_minute < p_since THEN v_minute := v_minute + interval '1 minute'; END IF;
  v_hour := date_trunc('hour', v_minute, 'UTC');
  IF v_hour < v_minute THEN v_hour := v_hour + interval '1 hour'; END IF;
  v_day := date_trunc('day', v_hour, 'UTC');
  IF v_day < v_hour THEN v_day := v_day + interval '24 hours'; END IF;

  -- One static query per scope, so each uses its index: (org_id|agent_id, network, asset, created_at).
  IF p_scope = 'org' THEN
    SELECT COALESCE(sum(CASE WHEN h."status" = 'posted' THEN h."posted_amount" ELSE h."amount" END), 0),
           count(*)
      INTO v_edge_amount, v_edge_payments
      FROM "holds" h
     WHERE h."org_id" = p_scope_id AND h."network" = p_network AND h."asset" = p_asset
       AND h."created_at" >= p_since AND h."created_at" < v_minute AND h."status" IN ('pending', 'posted');
  ELSE
    SELECT COALESCE(sum(CASE WHEN h."status" = 'posted' THEN h."posted_amount" ELSE h."amount" END), 0),
           count(*)
      INTO v_edge_amount, v_edge_payments
      FROM "holds" h
     WHERE h."agent_id" = p_scope_id AND h."network" = p_network AND h."asset" = p_asset
       AND h."created_at" >= p_since AND h."created_at" < v_minute AND h."status" IN ('pending', 'posted');
  END IF;

  -- Three ranges of the primary key, one per granularity (an OR of them could be planned as one
  -- scan of every bucket of the scope).
  SELECT v_edge_amount + COALESCE(sum(u."amount"), 0), v_edge_payments + COALESCE(sum(u."payments"), 0)
    INTO "used_amount", "used_payments"
    FROM (
      SELECT b."amount", b."payments" FROM "hold_usage_buckets" b
       WHERE b."scope_id" = p_scope_id AND b."scope" = p_scope AND b."granularity" = 'minute'
         AND b."network" = p_network AND b."asset" = p_asset
         AND b."bucket_start" >= v_minute AND b."bucket_start" < v_hour
      UNION ALL
      SELECT b."amount", b."payments" FROM "hold_usage_buckets" b
       WHERE b."scope_id" = p_scope_id AND b."scope" = p_scope AND b."granularity" = 'hour'
         AND b."network" = p_network AND b."asset" = p_asset
         AND b."bucket_start" >= v_hour AND b."bucket_start" < v_day
      UNION ALL
      SELECT b."amount", b."payments" FROM "hold_usage_buckets" b
       WHERE b."scope_id" = p_scope_id AND b."scope" = p_scope AND b."granularity" = 'day'
         AND b."network" = p_network AND b."asset" = p_asset
         AND b."bucket_start" >= v_day
    ) AS u;
  RETURN NEXT;
END;
$$;

-- Replaced below with the database's clock and bucketed usage; their callers are late-bound
-- plpgsql (and the store), which resolve the new signatures when they next run.
DROP FUNCTION "proco_reserve_hold"(uuid, uuid, uuid, uuid, text, text, numeric, timestamptz, timestamptz,
                                   jsonb, jsonb);
DROP FUNCTION "proco_hold_usage"(uuid, uuid, jsonb, jsonb);

-- Usage of each check at p_now (NULL: the database clock, clock_timestamp(), to the millisecond
-- the holds table keeps). Pending holds count their amount, posted holds their posted amount,
-- voided and expired holds nothing; rate limits count pending and posted holds across every
-- network and asset of their scope. A check is {"key", "scope": "org"|"agent", "windowSeconds":
-- positive integer, or null for a lifetime budget} plus, for budgets, {"network", "asset",
-- "limitAtomic": decimal string} and, for rate limits, {"maxPayments"}. A window counts the holds
-- created at or after p_now - windowSeconds (a hold exactly windowSeconds old still counts), with
-- no upper bound: a hold stamped by a clock running ahead still counts (it can only deny, never
-- overspend). Costs O(checks × (holds of one minute + 60 + 24 + days of the window)) rows, however
-- many holds the window holds.
-- STABLE: every query of it and of `proco_hold_scope_usage` reads the snapshot of the statement
-- that calls it.
CREATE FUNCTION "proco_hold_usage"(
  p_org_id uuid,
  p_agent_id uuid,
  p_budget_checks jsonb,
  p_rate_limit_checks jsonb,
  p_now timestamptz
) RETURNS TABLE ("kind" text, "ordinal" integer, "key" text, "limit_value" numeric, "used" numeric)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_now timestamptz := COALESCE(p_now, date_trunc('milliseconds', clock_timestamp(), 'UTC'));
  v_check jsonb;
  v_scope "hold_usage_scope";
  v_scope_id uuid;
  v_seconds bigint;
  v_since timestamptz;
BEGIN
  "ordinal" := 0;
  FOR v_check IN SELECT c.value FROM jsonb_array_elements(p_rate_limit_checks) AS c LOOP
    "kind" := 'rate_limit';
    "ordinal" := "ordinal" + 1;
    "key" := v_check->>'key';
    "limit_value" := (v_check->>'maxPayments')::numeric;
    v_scope := (v_check->>'scope')::"hold_usage_scope";
    v_scope_id := CASE v_scope WHEN 'org' THEN p_org_id ELSE p_agent_id END;
    v_seconds := (v_check->>'windowSeconds')::bigint;
    IF v_seconds IS NULL OR v_seconds < 1 THEN
      RAISE EXCEPTION 'rate limit % needs a positive windowSeconds', "key" USING ERRCODE = '22023';
    END IF;
    v_since := v_now - v_seconds * interval '1 second';
    -- Every (network, asset) the scope ever used has a lifetime row: count each one's window.
    SELECT COALESCE(sum(u."used_payments"), 0) INTO "used"
      FROM "hold_usage_buckets" l
     CROSS JOIN LATERAL "proco_hold_scope_usage"(l."scope", l."scope_id", l."network", l."asset", v_since) AS u
     WHERE l."scope_id" = v_scope_id AND l."scope" = v_scope AND l."granularity" = 'lifetime';
    RETURN NEXT;
  END LOOP;
  "ordinal" := 0;
  FOR v_check IN SELECT c.value FROM jsonb_array_elements(p_budget_checks) AS c LOOP
    "kind" := 'budget';
    "ordinal" := "ordinal" + 1;
    "key" := v_check->>'key';
    "limit_value" := (v_check->>'limitAtomic')::numeric;
    v_scope := (v_check->>'scope')::"hold_usage_scope";
    v_scope_id := CASE v_scope WHEN 'org' THEN p_org_id ELSE p_agent_id END;
    v_seconds := (v_check->>'windowSeconds')::bigint;
    IF v_seconds < 1 THEN
      RAISE EXCEPTION 'budget % needs a positive windowSeconds or null', "key" USING ERRCODE = '22023';
    END IF;
    v_since := v_now - v_seconds * interval '1 second';
    SELECT u."used_amount" INTO "used"
      FROM "proco_hold_scope_usage"(v_scope, v_scope_id, v_check->>'network', v_check->>'asset', v_since) AS u;
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
--    each class and always the org class first, so no two can wait for each other in a cycle.
--    (Two orgs or two agents whose ids hash alike share a lock: slower, never wrong.) The hold's
--    insert then writes its usage buckets (trigger `holds_count_usage`, bucket rows in key order)
--    and the audit append that follows in the caller's transaction takes its chain lock last: see
--    the lock classes above `holds_count_usage`.
-- 2. The clock: p_now NULL means the database's, read with clock_timestamp() after the locks are
--    taken (to the millisecond the table keeps). One clock for every API replica, so replicas
--    agree about windows; and a reserve that waited for a lock reads it after the holder's commit,
--    so it is never stamped earlier than the hold it waited for. A non-null p_now is used as is
--    (tests simulate time with it).
-- 3. This function is VOLATILE and runs under READ COMMITTED (checked below), so each statement
--    in it takes a fresh snapshot: the usage read after the locks sees every hold committed before
--    them together with its bucket deltas (written in the same transaction), including the hold the
--    previous lock holder inserted (its commit is visible before its locks are released). Under
--    REPEATABLE READ or SERIALIZABLE the snapshot would predate the lock. Uncommitted changes the
--    read cannot see only lower usage (posts, voids, expiries) or belong to other scopes (agents of
--    the org reserving under the shared org lock have no org-scoped check to respect): ignoring them
--    can deny, never overspend.
-- 4. Checks, then the insert, happen while the locks are held; the locks end with the transaction
--    (with the statement itself when called in autocommit).
--
-- Returns one row: outcome ('reserved', 'replayed', 'conflict', 'rate_limit_exceeded',
-- 'budget_exceeded'), the first failing key (rate limits first, then budgets, each in the given
-- order), every check's usage before this hold, as jsonb with decimal strings, and the hold's
-- created_at as stored ('reserved'), the existing hold's ('replayed'), or NULL.
CREATE FUNCTION "proco_reserve_hold"(
  p_id uuid,
  p_org_id uuid,
  p_agent_id uuid,
  p_payment_id uuid,
  p_network text,
  p_asset text,
  p_amount numeric,
  p_now timestamptz,
  p_expires_at timestamptz,
  p_budget_checks jsonb,
  p_rate_limit_checks jsonb
) RETURNS TABLE ("outcome" text, "failed_key" text, "usage" jsonb, "created_at" timestamptz)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_existing "holds"%ROWTYPE;
  v_failure record;
  v_now timestamptz;
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

  -- Only now, holding the locks: see point 2 above.
  v_now := COALESCE(p_now, date_trunc('milliseconds', clock_timestamp(), 'UTC'));

  SELECT u_json INTO "usage" FROM (
    SELECT COALESCE(jsonb_agg(jsonb_build_object(
             'kind', u."kind", 'key', u."key", 'limit', u."limit_value"::text, 'used', u."used"::text)
             ORDER BY u."kind" = 'budget', u."ordinal"), '[]'::jsonb) AS u_json
      FROM "proco_hold_usage"(p_org_id, p_agent_id, p_budget_checks, p_rate_limit_checks, v_now) AS u
  ) AS s;

  -- A retried reserve (same hold id or payment) returns the hold it made instead of a second one.
  -- Two lookups, one per unique index: as one OR, a cached generic plan may scan the table.
  SELECT * INTO v_existing FROM "holds" h WHERE h."id" = p_id;
  IF NOT FOUND THEN
    SELECT * INTO v_existing FROM "holds" h WHERE h."payment_id" = p_payment_id;
  END IF;
  IF FOUND THEN
    IF v_existing."id" = p_id AND v_existing."payment_id" = p_payment_id AND v_existing."org_id" = p_org_id
       AND v_existing."agent_id" = p_agent_id AND v_existing."network" = p_network
       AND v_existing."asset" = p_asset AND v_existing."amount" = p_amount THEN
      "outcome" := 'replayed';
      "created_at" := v_existing."created_at";
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

  INSERT INTO "holds" AS h ("id", "org_id", "agent_id", "payment_id", "network", "asset", "amount",
                            "status", "created_at", "expires_at")
  VALUES (p_id, p_org_id, p_agent_id, p_payment_id, p_network, p_asset, p_amount, 'pending',
          v_now, p_expires_at)
  RETURNING h."created_at" INTO "created_at";
  "outcome" := 'reserved';
  RETURN NEXT;
END;
$$;
