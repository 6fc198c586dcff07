-- AlterTable
ALTER TABLE "audit_events" ADD COLUMN     "content_hash" BYTEA;

-- CreateTable
CREATE TABLE "audit_chain_heads" (
    "chain" VARCHAR(64) NOT NULL,
    "sequence" BIGINT NOT NULL,
    "hash" BYTEA NOT NULL,

    CONSTRAINT "audit_chain_heads_pkey" PRIMARY KEY ("chain")
);

-- Hand-written below this line: Prisma does not model functions or triggers, so the schema diff
-- (`npm run db:check`, `prisma migrate diff`) ignores them and they live only here.

-- Appending an audit event becomes one SQL statement, `proco_audit_append`, callable from the
-- application and from other plpgsql functions (the payment path). Hash format version 2 splits
-- the event hash in two:
--   content_hash = SHA-256(canonical JSON of {v: 2, chain, orgId, actorType, actorId, action,
--                  subjectType, subjectId, data, requestId, occurredAt}), computed by the writer
--                  before the chain is touched (canonical JSON has no practical SQL form);
--   hash         = SHA-256(previous_hash || int8send(sequence) || content_hash), computed here, so
--                  the only work done under the chain's lock is one 72-byte SHA-256.
-- Rows written before this migration keep a NULL content_hash and their version 1 hash; the
-- verifier checks each row by its own version, so existing chains keep verifying and continue with
-- version 2 rows.
--
-- Before: an advisory lock per chain, a read of the chain's last event, a hash in the application
-- and an insert, three round trips with the lock held across them. Now: the head of each chain is a
-- row of audit_chain_heads, and an append locks and advances that row and inserts the event in one
-- statement. The row lock is held until the caller's transaction ends, as the advisory lock was.
--
-- Deploying: stop every writer of the previous version before applying this migration. It appends
-- without advancing the head, so the next append to that chain would fail on the primary key
-- (chain, sequence): refused, never forked.

-- The last event of each chain; seeded from the events already written. The table lock keeps a
-- concurrent append from slipping in between the seed and the commit of this migration.
LOCK TABLE "audit_events" IN SHARE MODE;

INSERT INTO "audit_chain_heads" ("chain", "sequence", "hash")
SELECT DISTINCT ON (e."chain") e."chain", e."sequence", e."hash"
  FROM "audit_events" e
 ORDER BY e."chain", e."sequence" DESC;

-- A head is never removed, like the events it points to; there is no reason to, and a removal is
-- refused rather than silently repaired. Updates stay allowed, since every append advances its head;
-- a head edited by hand cannot go unnoticed, because the events linked from it would not verify. A
-- statement trigger, so it fires even when nothing matches, and costs nothing on the append path.
CREATE FUNCTION "audit_chain_heads_reject_delete"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_chain_heads rows are never removed: % is not allowed', TG_OP
    USING ERRCODE = 'P0001';
END;
$$;

CREATE TRIGGER "audit_chain_heads_keep"
BEFORE DELETE OR TRUNCATE ON "audit_chain_heads"
FOR EACH STATEMENT EXECUTE FUNCTION "audit_chain_heads_reject_delete"();

-- One string field of an event for proco_audit_append: present, a JSON string (or null where
-- allowed), non-empty when required, and no longer than its column, so a bad event is refused with
-- a message naming the field (SQLSTATE 22023) instead of a cast or truncation error from the insert.
CREATE FUNCTION "proco_audit_event_text"(
  p_event jsonb,
  p_field text,
  p_length_max integer,
  p_nullable boolean
) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  v_type text := jsonb_typeof(p_event -> p_field);
  v_value text;
BEGIN
  IF v_type IS NULL THEN
    RAISE EXCEPTION 'audit event: % is missing', p_field USING ERRCODE = '22023';
  END IF;
  IF v_type = 'null' AND p_nullable THEN
    RETURN NULL;
  END IF;
  IF v_type <> 'string' THEN
    RAISE EXCEPTION 'audit event: % must be a string%, not %', p_field,
      CASE WHEN p_nullable THEN ' or null' ELSE '' END, v_type USING ERRCODE = '22023';
  END IF;
  v_value := p_event ->> p_field;
  IF v_value = '' AND NOT p_nullable THEN
    RAISE EXCEPTION 'audit event: % must not be empty', p_field USING ERRCODE = '22023';
  END IF;
  IF char_length(v_value) > p_length_max THEN
    RAISE EXCEPTION 'audit event: % is longer than % characters', p_field, p_length_max
      USING ERRCODE = '22023';
  END IF;
  RETURN v_value;
END;
$$;

-- Appends one event to its chain and returns its sequence.
--
-- p_event: {"chain", "orgId" (lowercase UUID or null), "actorType", "actorId" (or null), "action",
-- "subjectType", "subjectId" (or null), "data" (object), "requestId" (or null), "occurredAt"
-- (YYYY-MM-DDTHH:MM:SS.sssZ, as JavaScript's toISOString writes it), "contentHash" (64 lowercase
-- hex characters)}; every field present, no other field. `chain` must be the org id, or 'system'
-- for an event of no org, so an event can never land in (and be listed by) another org's chain.
-- The strict forms of orgId and occurredAt are what the columns give back, so the content hash
-- recomputes from the stored row. A bad event raises SQLSTATE 22023 before any lock or write.
--
-- Race freedom: the chain's head row is locked (SELECT ... FOR UPDATE) before it is read, and
-- advanced and the event inserted under that lock; the lock is held until the caller's
-- transaction ends, so the next append of the chain sees this one (or waits for its rollback).
-- The first append of a chain inserts the head with ON CONFLICT DO NOTHING: of two racing first
-- appends one inserts, the other waits for it to commit, then locks the head like any later
-- append. Under READ COMMITTED each statement here takes a fresh snapshot, so the head read after
-- the lock is the latest. Under REPEATABLE READ or SERIALIZABLE a head advanced since the
-- transaction's snapshot raises a serialization failure (40001) instead: retry the transaction.
-- Appends to different chains take different rows and never wait for each other; a transaction
-- that appends to several chains should do so in a fixed order (the application sorts by org) so
-- two of them cannot deadlock.
--
-- A chain with events but no head (events inserted directly, or by a writer older than this
-- migration, after the seed) gets its head from its last event on its next append.
CREATE FUNCTION "proco_audit_append"(p_event jsonb) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_chain text;
  v_org_id text;
  v_actor_type text;
  v_actor_id text;
  v_action text;
  v_subject_type text;
  v_subject_id text;
  v_request_id text;
  v_occurred_at_text text;
  v_occurred_at timestamptz;
  v_content_hash_text text;
  v_content_hash bytea;
  v_unknown_fields text;
  v_valid boolean;
  v_previous_sequence bigint;
  v_previous_hash bytea;
  v_sequence bigint;
  v_hash bytea;
BEGIN
  -- Validation first: nothing below is locked or written until the event is known to be good.
  IF jsonb_typeof(p_event) IS DISTINCT FROM 'object' THEN
    RAISE EXCEPTION 'audit event must be a JSON object, not %', COALESCE(jsonb_typeof(p_event), 'NULL')
      USING ERRCODE = '22023';
  END IF;
  SELECT string_agg(k.key, ', ' ORDER BY k.key) INTO v_unknown_fields
    FROM jsonb_object_keys(p_event) AS k(key)
   WHERE k.key NOT IN ('chain', 'orgId', 'actorType', 'actorId', 'action', 'subjectType', 'subjectId',
                       'data', 'requestId', 'occurredAt', 'contentHash');
  IF v_unknown_fields IS NOT NULL THEN
    RAISE EXCEPTION 'audit event: unknown field(s) %', v_unknown_fields USING ERRCODE = '22023';
  END IF;

  v_chain := "proco_audit_event_text"(p_event, 'chain', 64, false);
  v_org_id := "proco_audit_event_text"(p_event, 'orgId', 36, true);
  v_actor_type := "proco_audit_event_text"(p_event, 'actorType', 32, false);
  v_actor_id := "proco_audit_event_text"(p_event, 'actorId', 64, true);
  v_action := "proco_audit_event_text"(p_event, 'action', 100, false);
  v_subject_type := "proco_audit_event_text"(p_event, 'subjectType', 32, false);
  v_subject_id := "proco_audit_event_text"(p_event, 'subjectId', 64, true);
  v_request_id := "proco_audit_event_text"(p_event, 'requestId', 100, true);
  v_occurred_at_text := "proco_audit_event_text"(p_event, 'occurredAt', 24, false);
  v_content_hash_text := "proco_audit_event_text"(p_event, 'contentHash', 64, false);

  IF v_org_id IS NOT NULL
     AND v_org_id !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
    RAISE EXCEPTION 'audit event: orgId must be a lowercase UUID' USING ERRCODE = '22023';
  END IF;
  IF v_chain <> COALESCE(v_org_id, 'system') THEN
    RAISE EXCEPTION 'audit event: chain % does not match orgId % (an org''s events go to its own chain, others to system)',
      v_chain, COALESCE(v_org_id, 'null') USING ERRCODE = '22023';
  END IF;
  IF jsonb_typeof(p_event -> 'data') IS DISTINCT FROM 'object' THEN
    RAISE EXCEPTION 'audit event: data must be a JSON object, not %',
      COALESCE(jsonb_typeof(p_event -> 'data'), 'missing') USING ERRCODE = '22023';
  END IF;
  -- The exact toISOString form, and a real calendar date (the pattern allows 2026-02-30), checked
  -- before the cast: a failed cast would raise a different error, and catching it would need an
  -- exception block, a subtransaction on every call. Two steps, since SQL does not promise to
  -- evaluate OR from left to right and the day check needs the digits the pattern guarantees.
  v_valid := v_occurred_at_text ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{3}Z$'
             AND substr(v_occurred_at_text, 1, 4) <> '0000';
  IF v_valid THEN
    v_valid := substr(v_occurred_at_text, 9, 2)::integer <= extract(day FROM
                 make_date(substr(v_occurred_at_text, 1, 4)::integer, substr(v_occurred_at_text, 6, 2)::integer, 1)
                 + interval '1 month' - interval '1 day');
  END IF;
  IF NOT v_valid THEN
    RAISE EXCEPTION 'audit event: occurredAt % is not an ISO 8601 UTC time with milliseconds (YYYY-MM-DDTHH:MM:SS.sssZ)',
      v_occurred_at_text USING ERRCODE = '22023';
  END IF;
  v_occurred_at := v_occurred_at_text::timestamptz;
  IF v_content_hash_text !~ '^[0-9a-f]{64}$' THEN
    RAISE EXCEPTION 'audit event: contentHash must be 64 lowercase hex characters (a 32-byte SHA-256)'
      USING ERRCODE = '22023';
  END IF;
  v_content_hash := decode(v_content_hash_text, 'hex');

  -- From here on the chain's head is locked: one or two index lookups, one hash, two writes.
  SELECT h."sequence", h."hash" INTO v_previous_sequence, v_previous_hash
    FROM "audit_chain_heads" h WHERE h."chain" = v_chain FOR UPDATE;
  IF FOUND THEN
    v_sequence := v_previous_sequence + 1;
    v_hash := sha256(v_previous_hash || int8send(v_sequence) || v_content_hash);
    UPDATE "audit_chain_heads" SET "sequence" = v_sequence, "hash" = v_hash WHERE "chain" = v_chain;
  ELSE
    SELECT e."sequence", e."hash" INTO v_previous_sequence, v_previous_hash
      FROM "audit_events" e WHERE e."chain" = v_chain ORDER BY e."sequence" DESC LIMIT 1;
    IF NOT FOUND THEN
      v_previous_sequence := 0;
      v_previous_hash := decode(repeat('00', 32), 'hex');
    END IF;
    v_sequence := v_previous_sequence + 1;
    v_hash := sha256(v_previous_hash || int8send(v_sequence) || v_content_hash);
    INSERT INTO "audit_chain_heads" ("chain", "sequence", "hash") VALUES (v_chain, v_sequence, v_hash)
    ON CONFLICT ("chain") DO NOTHING;
    IF NOT FOUND THEN
      -- Another first append of this chain committed its head while this one waited: follow it.
      SELECT h."sequence", h."hash" INTO v_previous_sequence, v_previous_hash
        FROM "audit_chain_heads" h WHERE h."chain" = v_chain FOR UPDATE;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'audit chain % head is not visible to this transaction', v_chain
          USING ERRCODE = '40001', HINT = 'Retry the transaction.';
      END IF;
      v_sequence := v_previous_sequence + 1;
      v_hash := sha256(v_previous_hash || int8send(v_sequence) || v_content_hash);
      UPDATE "audit_chain_heads" SET "sequence" = v_sequence, "hash" = v_hash WHERE "chain" = v_chain;
    END IF;
  END IF;

  INSERT INTO "audit_events" ("chain", "sequence", "org_id", "actor_type", "actor_id", "action",
                              "subject_type", "subject_id", "data", "request_id", "occurred_at",
                              "previous_hash", "hash", "content_hash")
  VALUES (v_chain, v_sequence, v_org_id::uuid, v_actor_type, v_actor_id, v_action, v_subject_type,
          v_subject_id, p_event -> 'data', v_request_id, v_occurred_at, v_previous_hash, v_hash,
          v_content_hash);
  RETURN v_sequence;
END;
$$;
